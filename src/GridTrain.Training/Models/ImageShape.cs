namespace GridTrain.Training.Models;

/// <summary>Shape of one input image: [Channels, Height, Width].</summary>
internal readonly record struct ImageShape(int Channels, int Height, int Width)
{
    public int Pixels => Channels * Height * Width;

    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
