namespace GridTrain.Controller.Hosting.Web;

/// <summary>The console's <c>POST /console/sign-in</c>: a one-time code from a sign-in link.</summary>
internal sealed record SignInRequest(string? Code);

/// <summary>The token the code stood for.</summary>
internal sealed record SignInResponse(string Token);

/// <summary>Why the code was refused.</summary>
internal sealed record SignInError(string Message);
