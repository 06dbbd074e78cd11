using GridTrain.Bench.Scenarios;

return args switch
{
    ["overhead", .. var rest] => await OverheadScenario.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/GridTrain.Bench -- overhead [--rounds N] [--train-examples N] [--threads N] [--data DIR]");
    return 2;
}
