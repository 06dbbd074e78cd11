using Google.Protobuf.WellKnownTypes;

namespace GridTrain.Contracts.Mapping;

internal static class Conversions
{
    public static Timestamp? ToTimestamp(this DateTimeOffset? time) => time is { } t ? Timestamp.FromDateTimeOffset(t) : null;

    public static Timestamp ToTimestamp(this DateTimeOffset time) => Timestamp.FromDateTimeOffset(time);
}
