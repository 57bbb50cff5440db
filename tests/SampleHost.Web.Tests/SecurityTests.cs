using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using TestUtilities;

namespace SampleHost.Web.Tests;

/// <summary>What `studio serve` refuses: other sites, other hosts, paths outside its folders, large bodies, and an open address without a token.</summary>
public sealed class SecurityTests : IClassFixture<SecurityTests.Server>
{
    public sealed class Server : IDisposable
    {
        public ServeProcess Serve { get; } = ServeProcess.Start();
        public void Dispose() => Serve.Dispose();
    }

    private readonly ServeProcess _serve;

    public SecurityTests(Server server) => _serve = server.Serve;

    private static async Task<(HttpStatusCode Status, string Error)> Send(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var error = JsonRequests.ErrorOf(text);
        Assert.DoesNotContain("   at ", text); // never a stack trace
        return (response.StatusCode, error);
    }

    private static HttpRequestMessage Post(string path, object body, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonRequests.Content(body) };
        if (origin is not null) request.Headers.Add("Origin", origin);
        return request;
    }

    [Fact]
    public async Task AForeignOriginIsRefusedAndTheStudiosOwnIsNot()
    {
        using var client = _serve.Client();
        var (status, error) = await Send(client, Post("/api/projects", new { name = "x", blocklist = new[] { "star" } }, "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("http://evil.example", error);
        Assert.False(Directory.Exists(Path.Combine(_serve.Root, "projects", "x")));

        // The studio's own page may (the projects list answers, with the request accepted).
        var get = new HttpRequestMessage(HttpMethod.Get, "/api/projects");
        get.Headers.Add("Origin", $"http://127.0.0.1:{_serve.Port}");
        Assert.Equal(HttpStatusCode.OK, (await Send(client, get)).Status);

        // A form post (what another site can send without asking) is not JSON and is refused.
        var form = new HttpRequestMessage(HttpMethod.Post, "/api/projects") { Content = new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded") };
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(client, form)).Status);
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:7860")]
    [InlineData("127.0.0.1.nip.io")]
    public async Task AForeignHostIsRefused(string host)
    {
        using var client = _serve.Client();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/models");
        request.Headers.Host = host;
        var (status, error) = await Send(client, request);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, status);
        Assert.Contains($"Host '{host}' is not this studio", error);
        // And the page itself is not served to it (no DNS rebinding).
        var page = new HttpRequestMessage(HttpMethod.Get, "/");
        page.Headers.Host = host;
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await Send(client, page)).Status);
    }

    [Theory]
    [InlineData("/api/images/file?path=%2Fetc%2Fpasswd")]
    [InlineData("/api/images/file?path=..%2F..%2F..%2Fetc%2Fpasswd")]
    public async Task AnImageOutsideTheFoldersIsRefused(string path)
    {
        using var client = _serve.Client();
        var (status, error) = await Send(client, new HttpRequestMessage(HttpMethod.Get, path));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("must be inside the studio's folders", error);
    }

    [Fact]
    public async Task PathsOutsideTheFoldersAreRefusedWhereverARequestNamesThem()
    {
        using var client = _serve.Client();
        var outside = Directory.CreateTempSubdirectory("outside-roots").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "secret.png"), "not for the page");
            // A link inside a root that points outside it.
            var link = Path.Combine(_serve.Root, "outputs", "escape");
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            Directory.CreateSymbolicLink(link, outside);
            var (status, error) = await Send(client, new HttpRequestMessage(HttpMethod.Get, "/api/images/file?path=escape%2Fsecret.png"));
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("it leads to", error);

            Assert.Equal(HttpStatusCode.Forbidden, (await Send(client, Post("/api/models/select", new { path = AlphaFixture.Folder }))).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await Send(client, Post("/api/projects/open", new { folder = "../../" }))).Status);

            // A command's argument that is a path outside: named beside its field, and nothing runs.
            using var response = await client.SendAsync(Post("/api/commands/esd.load-edited-model/run", new { arguments = new { delta = Path.Combine(outside, "x.safetensors") } }));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var body = JObject.Parse(await response.Content.ReadAsStringAsync());
            Assert.Contains("outside the studio's folders", (string?)body["fields"]!["delta"]);
        }
        finally
        {
            Directory.Delete(outside, true);
        }
    }

    [Fact]
    public async Task BadValuesComeBackByFieldAndLargeBodiesAreRefused()
    {
        using var client = _serve.Client();
        using (var response = await client.SendAsync(Post("/api/commands/esd.erase-concept/run", new { arguments = new { iterations = "many", method = "esd-z" } })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var fields = (JObject)JObject.Parse(await response.Content.ReadAsStringAsync())["fields"]!;
            Assert.Contains("--iterations expects a whole number", (string?)fields["iterations"]);
            Assert.Contains("--concepts is required", (string?)fields["concepts"]);
            Assert.True(fields.ContainsKey("method"));
        }
        // A body announced larger than the limit is refused before it is read (raw: HttpClient would still be sending it).
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, _serve.Port);
            var stream = tcp.GetStream();
            var head = $"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1:{_serve.Port}\r\nContent-Type: application/json\r\nContent-Length: {2 << 20}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            var buffer = new byte[4096];
            int n = await stream.ReadAsync(buffer);
            Assert.StartsWith("HTTP/1.1 413", Encoding.ASCII.GetString(buffer, 0, n));
        }
        var (status, error) = await Send(client, new HttpRequestMessage(HttpMethod.Post, "/api/generate") { Content = new StringContent("{not json", Encoding.UTF8, "application/json") });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("the body is not the JSON this takes", error);
        // A misspelt field is named, not ignored (it would otherwise mean "no prompt" or a default).
        (status, error) = await Send(client, Post("/api/generate", new { promt = "a star" }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("'promt'", error);
    }

    [Fact]
    public void ANonLoopbackAddressWithoutATokenIsRefusedAtStartUp()
    {
        var (code, _, stderr) = StudioProcess.Run("serve", "--host", "0.0.0.0", "--port", "0", "--models", RepoPaths.Root + "/models");
        Assert.Equal(2, code);
        Assert.Contains("--host 0.0.0.0: serving on an address other than loopback needs --token", stderr);
        (code, _, stderr) = StudioProcess.Run("serve", "--host", "0.0.0.0", "--port", "0", "--token", "short");
        Assert.Equal(2, code);
        Assert.Contains("--token must be at least 16 characters", stderr);
    }

    [Fact]
    public async Task WithATokenEveryRequestMustCarryIt()
    {
        const string token = "a-long-enough-secret-token";
        using var serve = ServeProcess.Start(extra: ["--token", token]);
        using var client = serve.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, new HttpRequestMessage(HttpMethod.Get, "/api/models"))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, new HttpRequestMessage(HttpMethod.Get, "/"))).Status);
        var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/models");
        wrong.Headers.Add("X-Studio-Token", token + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(client, wrong)).Status);
        var right = new HttpRequestMessage(HttpMethod.Get, "/api/models");
        right.Headers.Add("X-Studio-Token", token);
        Assert.Equal(HttpStatusCode.OK, (await Send(client, right)).Status);
        // The page's address with ?token= sets the cookie the page's later requests carry.
        using var page = await client.GetAsync($"/?token={token}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith("studio_token=", StringComparison.Ordinal) && c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
    }
}
