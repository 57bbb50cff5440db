using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SampleHost.Web.Security;

namespace SampleHost.Web.Api;

/// <summary>
/// Turns what an endpoint throws into a message for the page (400 for bad input, 404 for what is not there, 500
/// otherwise), logged in full but never sent with its stack.
/// </summary>
public sealed class ApiErrors(ILogger logger)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            int status = e switch
            {
                PathOutsideRootsException => StatusCodes.Status403Forbidden,
                BadHttpRequestException b => b.StatusCode,
                FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException => StatusCodes.Status404NotFound,
                ArgumentException or InvalidDataException or FormatException or Newtonsoft.Json.JsonException or IOException
                    or InvalidOperationException or UnauthorizedAccessException => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status500InternalServerError,
            };
            if (status == StatusCodes.Status500InternalServerError) logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            else logger.LogInformation("{Method} {Path}: {Message}", context.Request.Method, context.Request.Path, e.Message);
            context.Response.Clear();
            context.Response.StatusCode = status;
            await JsonBody.WriteAsync(context.Response, new { error = e is BadHttpRequestException ? "the request could not be read: " + e.Message : e.Message });
        }
    }
}
