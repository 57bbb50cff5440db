using Newtonsoft.Json.Linq;

namespace SampleHost.Web.Tests;

/// <summary>The web studio's jobs and projects on the host's leases and guards, through its API (no browser).</summary>
public sealed class JobsAndProjectsApiTests
{
    private static async Task<JObject> Post(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsync(path, JsonRequests.Content(body));
        var json = JObject.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {json}");
        return json;
    }

    private static async Task<JObject> Job(HttpClient client, string id) =>
        (JObject)JArray.Parse(await client.GetStringAsync("/api/jobs")).Single(j => (string?)j["id"] == id);

    private static async Task<JObject> WaitFor(HttpClient client, string id, Func<JObject, bool> condition, string what)
    {
        // Generous: the first progress comes after the pools are filled, which takes minutes when other test processes share the cores.
        var deadline = DateTime.UtcNow.AddMinutes(8);
        while (true)
        {
            var job = await Job(client, id);
            if (condition(job)) return job;
            Assert.True(DateTime.UtcNow < deadline, $"job {id} never became {what}: {job}");
            await Task.Delay(50);
        }
    }

    private static bool Finished(JObject job) => (string?)job["state"] is "succeeded" or "failed" or "cancelled" or "refused";

    [Fact]
    public async Task AGenerationDuringATrainingWaitsAsQueuedAndRunsOnceTheTrainingEnds()
    {
        using var serve = ServeProcess.Start();
        using var client = serve.Client();
        var erase = await Post(client, "/api/commands/esd.erase-concept/run", new { arguments = new { concepts = "moon", iterations = "3000" } });
        var eraseId = (string)erase["id"]!;
        await WaitFor(client, eraseId, j => (string?)j["state"] == "running" && (double)j["fraction"]! > 0, "running with progress");

        var generate = await Post(client, "/api/generate", new { prompt = "a circle", steps = 5, count = 1, seed = 3 });
        var generateId = (string)generate["id"]!;
        await Task.Delay(1500);
        var waiting = await Job(client, generateId);
        Assert.Equal("queued", (string?)waiting["state"]);
        Assert.Equal("running", (string?)(await Job(client, eraseId))["state"]);

        await Post(client, $"/api/jobs/{eraseId}/cancel", new { });
        var cancelled = await WaitFor(client, eraseId, Finished, "finished");
        Assert.Equal("cancelled", (string?)cancelled["state"]);
        var generated = await WaitFor(client, generateId, Finished, "finished");
        Assert.Equal("succeeded", (string?)generated["state"]);
        Assert.Single(generated["files"]!);
    }

    [Fact]
    public async Task GenerateWithSldRecordsItInTheImagesParametersAndRefusesAnUnknownPreset()
    {
        using var serve = ServeProcess.Start();
        using var client = serve.Client();
        using (var bad = await client.PostAsync("/api/generate", JsonRequests.Content(new { prompt = "a circle", steps = 2, sldConcept = "star", sldPreset = "extreme" })))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
            var error = JObject.Parse(await bad.Content.ReadAsStringAsync());
            Assert.Contains("weak, medium, strong, max", (string?)error["fields"]?["sldPreset"]);
        }
        var generate = await Post(client, "/api/generate", new { prompt = "a star", steps = 3, count = 1, seed = 5, sldConcept = "star", sldPreset = "max" });
        var done = await WaitFor(client, (string)generate["id"]!, Finished, "finished");
        Assert.Equal("succeeded", (string?)done["state"]);
        var images = (JArray)(await client.GetJson("/api/images"))["images"]!;
        Assert.Contains("SLD concept: \"star\", SLD: \"max", (string?)images.Single()["parameters"]);
    }

    [Fact]
    public async Task OpeningAProjectSwapsItsSafeCheckpointInAndOneWithoutABlocklistRestoresTheOriginal()
    {
        using var serve = ServeProcess.Start(safeIterations: 10);
        using var client = serve.Client();
        var original = (string)(await client.GetJson("/api/models/fingerprint"))["original"]!;

        // A project blocking "star", its blocklist applied (a safe checkpoint trained and loaded).
        var created = await Post(client, "/api/projects", new { name = "Stars", blocklist = new[] { "star" } });
        await WaitFor(client, (string)created["id"]!, Finished, "finished");
        var stars = (string)(await client.GetJson("/api/projects"))["active"]!["folder"]!;
        var apply = await Post(client, "/api/commands/esd.apply-blocklist/run", new { arguments = new Dictionary<string, string> { ["train-missing"] = "true" } });
        Assert.Equal("succeeded", (string?)(await WaitFor(client, (string)apply["id"]!, Finished, "finished"))["state"]);
        var safe = await client.GetJson("/api/models/fingerprint");
        Assert.NotEqual(original, (string?)safe["live"]);

        // A project that blocks nothing: opening it restores the original weights.
        var plain = await Post(client, "/api/projects", new { name = "Plain", blocklist = Array.Empty<string>() });
        Assert.Equal("succeeded", (string?)(await WaitFor(client, (string)plain["id"]!, Finished, "finished"))["state"]);
        var restored = await client.GetJson("/api/models/fingerprint");
        Assert.Equal(original, (string?)restored["live"]);
        Assert.Equal(JTokenType.Null, restored["liveStamp"]!.Type);

        // Opening "Stars" again swaps its safe checkpoint back in, and the project shows as satisfied.
        var reopened = await Post(client, "/api/projects/open", new { folder = stars });
        Assert.Equal("succeeded", (string?)(await WaitFor(client, (string)reopened["id"]!, Finished, "finished"))["state"]);
        Assert.Equal((string?)safe["live"], (string?)(await client.GetJson("/api/models/fingerprint"))["live"]);
        var status = (await client.GetJson("/api/projects"))["active"]!["status"]!;
        Assert.True((bool)status["satisfied"]!, status.ToString());
    }
}
