using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SampleHost.Web.Api;

/// <summary>Jobs: listing, cancelling, their preview image, and the event stream the page listens to.</summary>
internal static class JobApi
{
    public static void Map(WebApplication app, StudioWeb web)
    {
        app.MapGet("/api/jobs", () => JsonBody.Result(web.Board.Jobs.Select(web.Board.Snapshot)));

        app.MapPost("/api/jobs/{id}/cancel", (string id) =>
        {
            var job = web.Board.Find(id) ?? throw new KeyNotFoundException($"no job {id}");
            if (!job.IsFinished) job.Cancellation.Cancel();
            return JsonBody.Result(web.Board.Snapshot(job));
        });

        app.MapGet("/api/jobs/{id}/preview", (string id) =>
            web.Board.Find(id)?.Preview is { } png ? Results.File(png, "image/png") : JsonBody.Result(new { error = $"job {id} has no preview" }, StatusCodes.Status404NotFound));

        app.MapGet("/api/events", async (HttpContext context) =>
        {
            var response = context.Response;
            response.Headers.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-store";
            response.Headers["X-Accel-Buffering"] = "no";
            var cancel = context.RequestAborted;
            await response.WriteAsync(": connected\n\n", cancel);
            await response.Body.FlushAsync(cancel);
            using var keepAlive = new PeriodicTimer(TimeSpan.FromSeconds(15));
            var events = web.Board.Subscribe(cancel).GetAsyncEnumerator(cancel);
            var next = events.MoveNextAsync().AsTask();
            var tick = keepAlive.WaitForNextTickAsync(cancel).AsTask();
            try
            {
                while (!cancel.IsCancellationRequested)
                {
                    var done = await Task.WhenAny(next, tick);
                    if (done == tick)
                    {
                        await response.WriteAsync(": keep-alive\n\n", cancel);
                        tick = keepAlive.WaitForNextTickAsync(cancel).AsTask();
                    }
                    else
                    {
                        if (!await next) break;
                        var (name, data) = events.Current;
                        await response.WriteAsync($"event: {name}\ndata: {JsonBody.Serialize(data)}\n\n", cancel);
                        next = events.MoveNextAsync().AsTask();
                    }
                    await response.Body.FlushAsync(cancel);
                }
            }
            catch (OperationCanceledException) { }
            finally
            {
                // The pending read ends with the request (its token); only then may the enumerator be disposed.
                try { await next; } catch (OperationCanceledException) { }
                await events.DisposeAsync();
            }
        });
    }
}
