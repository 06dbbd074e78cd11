using Microsoft.AspNetCore.Http;

namespace GridTrain.Controller.Hosting.Web;

/// <summary>
/// Headers on every HTTP answer of the controller: a Content-Security-Policy that allows only the controller's own
/// scripts, styles and connections (no inline script, no other host, no framing), <c>nosniff</c>, frame denial and no
/// referrer; API answers are not cached.
/// </summary>
internal sealed class SecurityHeaders(RequestDelegate next)
{
    /// <summary>The console's policy: everything from the controller itself, nothing inline, never in a frame.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            return next(context);
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        if (context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
        {
            headers.CacheControl = "no-store";
        }

        return next(context);
    }
}
