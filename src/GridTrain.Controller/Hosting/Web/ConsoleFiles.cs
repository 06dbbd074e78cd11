using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace GridTrain.Controller.Hosting.Web;

/// <summary>
/// The web console: static files (HTML, ES modules, CSS, the charting library) copied beside the controller's
/// assembly under <c>wwwroot/</c>, served at <c>/</c>. Nothing is fetched from any other host.
/// </summary>
internal static class ConsoleFiles
{
    /// <summary>Where the console's files are: <c>wwwroot/</c> beside the controller's assembly.</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "wwwroot");

    public static WebApplication UseGridTrainConsole(this WebApplication app)
    {
        if (!Directory.Exists(Root))
        {
            throw new InvalidOperationException($"the web console's files are missing: expected them in {Root} (a build copies them there)");
        }

        var files = new PhysicalFileProvider(Root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = types,
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }
}
