namespace GridTrain.Cli.Output;

/// <summary>How results are printed.</summary>
internal enum OutputFormat
{
    /// <summary>Aligned columns and labelled fields, for people.</summary>
    Table,

    /// <summary>Protobuf JSON of the API's messages, for scripts.</summary>
    Json,
}
