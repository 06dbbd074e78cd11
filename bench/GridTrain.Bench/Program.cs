using GridTrain.Bench.Scenarios;
using GridTrain.Bench.Scenarios.Chaos;

return args switch
{
    ["overhead", .. var rest] => await OverheadScenario.RunAsync(rest),
    ["overhead-bare", var request] => OverheadScenario.RunBareProcess(request),
    ["recovery", .. var rest] => await RecoveryScenario.RunAsync(rest),
    ["controlplane", .. var rest] => await ControlPlaneScenario.RunAsync(rest),
    ["checkpoint", .. var rest] => await CheckpointScenario.RunAsync(rest),
    ["exec", .. var rest] => await ExecScenario.RunAsync(rest),
    ["chaos", .. var rest] => await ChaosScenario.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: dotnet run -c Release --project bench/GridTrain.Bench -- SCENARIO [options]
          overhead [--rounds N] [--train-examples N] [--threads N] [--data DIR] [--model cnn,torchscript] [--torchscript FILE.pt]
          recovery [--checkpoint-every N]
          controlplane [--agents N] [--sessions N] [--steady-seconds N]
          checkpoint [--checkpoints N] [--steps-between N] [--threads N]
          exec [--rounds N]
          chaos [--minutes N] [--seed S] [--drain-minutes N] [--keep]
        """);
    return 2;
}
