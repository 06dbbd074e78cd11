using GridTrain.Domain.Agents;
using GridTrain.Domain.Quotas;

namespace GridTrain.Domain.Tests;

/// <summary>Compute-unit rates: parsing, model matching by words, the most specific key winning.</summary>
public sealed class UnitRatesTests
{
    [Fact]
    public void Default_EveryGpuOneUnit_CpuNothing()
    {
        Assert.Equal(1, UnitRates.Default.ForGpu("NVIDIA H100 80GB HBM3"));
        Assert.Equal(0, UnitRates.Default.ForPlacement([]));
        Assert.Same(UnitRates.Default, UnitRates.Parse([]));
    }

    [Theory]
    [InlineData("NVIDIA H100 80GB HBM3", 6)]
    [InlineData("NVIDIA A100-SXM4-40GB", 4)]
    [InlineData("NVIDIA A100-SXM4-80GB", 5)]
    [InlineData("NVIDIA A10", 2)]
    [InlineData("Tesla T4", 0.5)]
    [InlineData("NVIDIA L4", 1.5)]
    public void ForGpu_MostSpecificKeyWhoseWordsTheModelHas_Wins(string model, double rate)
    {
        var rates = UnitRates.Parse(["gpu=1.5", "H100=6", "A100=4", "a100 80gb=5", "A10=2", "T4=0.5"]);

        Assert.Equal(rate, rates.ForGpu(model));
    }

    [Fact]
    public void ForPlacement_SumsItsGpus_OrIsTheCpuRate()
    {
        var rates = UnitRates.Parse(["cpu=0.1", "H100=6"]);

        Assert.Equal(7, rates.ForPlacement([new GpuDevice(0, "u0", "NVIDIA H100", 1), new GpuDevice(1, "u1", "NVIDIA L4", 1)]));
        Assert.Equal(0.1, rates.ForPlacement([]));
        Assert.False(rates.GpusAreFree);
        Assert.True(UnitRates.Parse(["gpu=0"]).GpusAreFree);
    }

    [Theory]
    [InlineData("H100", "expected KEY=RATE")]
    [InlineData("=3", "expected KEY=RATE")]
    [InlineData("H100=-1", "between 0 and 1000000")]
    [InlineData("H100=lots", "between 0 and 1000000")]
    [InlineData("H100=NaN", "between 0 and 1000000")]
    [InlineData("--=1", "cpu, gpu or a GPU model")]
    public void Parse_BadEntry_NamesIt(string entry, string problem)
    {
        var error = Assert.Throws<FormatException>(() => UnitRates.Parse([entry]));

        Assert.Contains($"'{entry}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_KeyGivenTwice_Refused()
    {
        var error = Assert.Throws<FormatException>(() => UnitRates.Parse(["h100=6", "H100=7"]));

        Assert.Contains("given twice", error.Message, StringComparison.Ordinal);
    }
}
