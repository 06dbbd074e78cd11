using GridTrain.Bench.Scenarios;
using GridTrain.Bench.Scenarios.Chaos;

return args switch
{
    ["overhead", .. var rest] => await OverheadScenario.RunAsync(rest),
    ["overhead-bare", var request] => OverheadScenario.RunBareProcess(request),
    ["recovery", .. var rest] => await RecoveryScenario.RunAsync(rest),
    ["controlplane", .. var rest] => await ControlPlaneScenario.RunAsync(rest),
    ["controlplane-fleet", .. var rest] => await ControlPlaneFleet.RunAsync(rest),
    ["checkpoint", .. var rest] => await CheckpointScenario.RunAsync(rest),
    ["fakedrive"] => await FakeDriveProcess.ServeAsync(),
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
          controlplane [--store sqlite|postgres] [--agents N] [--sessions N] [--steady-seconds N] [--burst-seconds N]
                       [--register-seconds N] [--fleet-processes N]
          checkpoint [--checkpoints N] [--steps-between N] [--threads N] [--rounds N]
            --checkpoints N     checkpoints written while training (default 30, after 2 for warm-up)
            --steps-between N   training steps between checkpoints (default 5)
            --threads N         TorchSharp threads (default 2)
            --rounds N          alternating upload rounds, resumable then bare HTTP, after one warm-up round; medians compared (default 9)
          exec [--rounds N]
          chaos [--minutes N] [--seed S] [--drain-minutes N] [--keep]
        """);
    return 2;
}
