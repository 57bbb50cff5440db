using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SampleHost.Web.Security;

/// <summary>
/// What every request must pass before any endpoint sees it: a Host header naming this server (no DNS rebinding), an
/// Origin (when a browser sends one) of this server (no cross-site requests), JSON bodies for changes (no form posts
/// from other sites), and the token when one is configured (header, cookie, or <c>?token=</c> on the page's address,
/// which sets the cookie). Responses carry headers that keep the page from being framed or sniffed.
/// </summary>
public sealed class RequestChecks(ServeOptions options, Func<int> port)
{
    public const string TokenHeader = "X-Studio-Token";
    public const string TokenCookie = "studio_token";

    /// <summary>The Host values this server answers to: loopback names (and the bound address) with the port.</summary>
    public IReadOnlyList<string> AllowedHosts()
    {
        int p = port();
        var hosts = new List<string> { $"127.0.0.1:{p}", $"localhost:{p}", $"[::1]:{p}" };
        if (!options.IsLoopback)
            hosts.Add(options.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{options.Address}]:{p}" : $"{options.Address}:{p}");
        return hosts;
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var response = context.Response;
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["X-Frame-Options"] = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["Content-Security-Policy"] =
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'";

        if (Refusal(context) is { } why)
        {
            response.StatusCode = why.Status;
            await Api.JsonBody.WriteAsync(response, new { error = why.Message });
            return;
        }
        if (options.Token is { } token && context.Request.Query.TryGetValue("token", out var given) && Same(given.ToString(), token))
            response.Cookies.Append(TokenCookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
        await next(context);
    }

    private (int Status, string Message)? Refusal(HttpContext context)
    {
        var request = context.Request;
        var allowed = AllowedHosts();
        var host = request.Host.Value ?? "";
        if (!allowed.Contains(host, StringComparer.OrdinalIgnoreCase))
            return (StatusCodes.Status421MisdirectedRequest, $"refused: Host '{host}' is not this studio ({string.Join(", ", allowed)})");
        if (request.Headers.Origin.ToString() is { Length: > 0 } origin
            && !allowed.Any(h => string.Equals(origin, "http://" + h, StringComparison.OrdinalIgnoreCase)))
            return (StatusCodes.Status403Forbidden, $"refused: requests from '{origin}' are not accepted (only this studio's own page)");
        if (options.Token is { } token && !HasToken(request, token))
            return (StatusCodes.Status401Unauthorized, "refused: this studio needs its token (open the address printed at start, with ?token=)");
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            if (request.ContentLength is > ServeOptions.MaxRequestBytes)
                return (StatusCodes.Status413PayloadTooLarge, $"refused: requests are at most {ServeOptions.MaxRequestBytes} bytes");
            if (request.ContentLength is > 0 && request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
                return (StatusCodes.Status415UnsupportedMediaType, "refused: changes are sent as application/json");
        }
        return null;
    }

    private static bool HasToken(HttpRequest request, string token) =>
        Same(request.Headers[TokenHeader].ToString(), token)
        || request.Cookies.TryGetValue(TokenCookie, out var cookie) && Same(cookie, token)
        || HttpMethods.IsGet(request.Method) && request.Query.TryGetValue("token", out var q) && Same(q.ToString(), token);

    private static bool Same(string? given, string expected) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
