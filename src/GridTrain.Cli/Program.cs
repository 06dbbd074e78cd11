using GridTrain.Cli;

return await GridTrainCli.RunAsync(args, CliContext.FromConsole());
