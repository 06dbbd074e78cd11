namespace GridTrain.Controller.Metrics;

/// <summary>
/// A request-response stream's answer writer that times each exchange (<c>gridtrain.rpc.server.duration</c>): its
/// handler says when it has read a request, and the write of that request's answer ends the exchange.
/// </summary>
internal interface IExchangeTimer
{
    /// <summary>The handler has read a request; its exchange starts now.</summary>
    void RequestReceived();
}
