using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SampleHost.Hosting;
using SampleHost.Web.Api;
using SampleHost.Web.Security;

namespace SampleHost.Web;

/// <summary>
/// The local web studio: Kestrel on one address and port, the request checks in front of everything, then the page
/// and its API over the host's services. Runs until <c>cancel</c> (Ctrl+C) or SIGTERM; running jobs are cancelled on the way out.
/// </summary>
public static class StudioServer
{
    public static async Task<int> RunAsync(StudioHost host, ServeOptions options, TextWriter output, CancellationToken cancel)
    {
        if (options.Problem() is { } problem) throw new ArgumentException(problem);
        var web = new StudioWeb(host, options);
        await using var app = Build(web);
        await app.StartAsync(cancel);
        var url = Url(app, options);
        output.WriteLine($"studio is serving {url}" + (options.Token is null ? "" : "/?token=<your token>"));
        output.WriteLine("Ctrl+C stops it.");
        output.Flush();
        // Ctrl+C reaches us through the token; SIGTERM through the web host's lifetime, which stops the application.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel, app.Lifetime.ApplicationStopping);
        try { await Task.Delay(Timeout.Infinite, stop.Token); }
        catch (OperationCanceledException) { }
        foreach (var job in web.Board.Jobs.Where(j => !j.IsFinished)) job.Cancellation.Cancel();
        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    internal static WebApplication Build(StudioWeb web)
    {
        var options = web.Options;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(StudioServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(web.Host.Logging);
        // An unreadable body throws, so that ApiErrors answers with a message rather than an empty 400.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = ServeOptions.MaxRequestBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Listen(options.Address, options.Port);
        });
        var app = builder.Build();
        int port = 0;
        var checks = new RequestChecks(options, () => port != 0 ? port : port = BoundPort(app));
        var errors = new ApiErrors(web.Host.Logging.CreateLogger("web"));
        app.Use((context, next) => checks.InvokeAsync(context, _ => next()));
        app.Use((context, next) => errors.InvokeAsync(context, _ => next()));
        StaticAssets.Map(app);
        CommandApi.Map(app, web);
        JobApi.Map(app, web);
        GenerateApi.Map(app, web);
        ModelApi.Map(app, web);
        ProjectApi.Map(app, web);
        app.MapFallback(() => Api.JsonBody.Result(new { error = "no such page" }, StatusCodes.Status404NotFound));
        return app;
    }

    private static int BoundPort(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("[::]", "localhost", StringComparison.Ordinal)).Port).First();

    private static string Url(WebApplication app, ServeOptions options)
    {
        int port = BoundPort(app);
        var host = options.IsLoopback ? "127.0.0.1" : options.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{options.Address}]" : options.Address.ToString();
        return $"http://{host}:{port}";
    }
}
