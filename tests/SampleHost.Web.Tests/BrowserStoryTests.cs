using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace SampleHost.Web.Tests;

/// <summary>The web studio as a user meets it, in headless Chromium, on the bundled model.</summary>
public sealed class BrowserStoryTests
{
    /// <summary>The newest job with this title, as the page shows it: "state fraction".</summary>
    private static string Job(string title) =>
        $"[...document.querySelectorAll('#jobs .job')].filter(j => j.querySelector('strong').textContent === {JsonConvert.SerializeObject(title)}).pop()";

    [ChromiumFact]
    public async Task EraseLoadGenerateThenAProjectRefusesUntilItsBlocklistIsApplied()
    {
        // The copied model's defaults train 30 iterations per concept: a safe checkpoint needs that many.
        using var serve = ServeProcess.Start(safeIterations: 30);
        await using var b = await Browser.OpenAsync(serve.Url, "web-story");
        await b.Shot("studio");

        // Models ▸ Erase concept… → "star", a short run.
        await b.Click("[data-menu='Models'] > button");
        await b.Click("[data-item='esd.erase-concept']");
        await b.Until("document.querySelector('#command-dialog').open");
        Assert.Equal("Erase concept…", await b.Eval<string>("document.querySelector('#command-title').textContent"));
        Assert.True(await b.Eval<bool>("document.querySelector('#command-fields [name=concepts]').closest('label').querySelector('.required') !== null"));
        await b.Fill("#command-fields [name=concepts]", "star");
        // The page leaves checking to the server, which applies the command line's rules and answers per field.
        await b.Fill("#command-fields [name=iterations]", "0");
        await b.Click("#dialog-run");
        await b.Until("document.querySelector('.field-error[data-for=iterations]').textContent.includes('--iterations must be at least 1, got 0')");
        Assert.True(await b.Eval<bool>("document.querySelector('#command-dialog').open"));
        await b.Shot("erase-dialog-with-an-error");
        await b.Fill("#command-fields [name=iterations]", "20");
        await b.Click("#dialog-run");

        // The progress bar moves: several fractions strictly between 0 and 1 are seen.
        var seen = new HashSet<double>();
        var job = Job("Erase concept…");
        // Up to 8 minutes: the first progress comes after the pools are filled, minutes when test processes share the cores.
        for (int i = 0; i < 9600 && seen.Count < 3; i++)
        {
            var value = await b.Eval<double>($"(() => {{ const j = {job}; return j ? Number(j.querySelector('progress').value) : -1; }})()");
            if (value > 0 && value < 1) seen.Add(value);
            if (await b.Eval<string>($"({job})?.dataset.state ?? ''") == "succeeded") break;
            if (seen.Count == 1 && i % 10 == 0) await b.Shot("erasing");
            await Task.Delay(50);
        }
        Assert.True(seen.Count >= 2, $"the progress bar showed {seen.Count} values between 0 and 1");
        await b.Until($"({job})?.dataset.state === 'succeeded'");

        // The edit is listed; Load edited model → the live edit is shown.
        await b.Until("document.querySelector(\"#edits tr[data-name='star-esd-u']\") !== null");
        Assert.Equal("false", await b.Eval<string>("document.querySelector(\"#edits tr[data-name='star-esd-u']\").dataset.safe"));
        await b.Shot("edit-listed");
        await b.Click("#edits tr[data-name='star-esd-u'] button[data-action='load']");
        await b.Until("document.querySelector('#live-edit-box')?.textContent.includes('star-esd-u')");
        Assert.Contains("erases star", await b.Eval<string>("document.querySelector('#live-edit-box').textContent"));
        await b.Shot("live-edit");

        // File ▸ Generate "a star" → images appear with their parameters.
        await b.Click("[data-menu='File'] > button");
        await b.Click("[data-item='generate']");
        await b.Fill("#generate-form [name=prompt]", "a star");
        await b.Fill("#generate-form [name=steps]", "10");
        await b.Fill("#generate-form [name=count]", "2");
        await b.Fill("#generate-form [name=seed]", "7");
        await b.Click("#generate-button");
        await b.Until("document.querySelectorAll('#gallery figure').length >= 2");
        var caption = await b.Eval<string>("document.querySelector('#gallery figure .parameters').textContent");
        Assert.StartsWith("a star\n", caption);
        Assert.Contains("Steps: 10, Sampler: DDIM", caption);
        Assert.Contains("Model: tiny-shapes", caption);
        Assert.True(await b.Eval<bool>("document.querySelector('#gallery figure img').naturalWidth === 32"));
        await b.Shot("generated");

        // Project ▸ New project… with "star" blocked → a generation is refused with the guard's message.
        await b.Click("[data-menu='Project'] > button");
        await b.Click("[data-item='project new']");
        await b.Fill("#project-form [name=name]", "Client work");
        await b.Fill("#project-form [name=blocklist]", "star");
        await b.Click("#project-create");
        await b.Until("document.querySelector('#project-name')?.textContent === 'Client work'");
        await b.Until("document.querySelector('#project-unsatisfied') !== null");
        await b.Click("#generate-button");
        await b.Until("document.querySelector('#refusal') !== null");
        var refusal = await b.Eval<string>("document.querySelector('#refusal .message').textContent");
        Assert.Contains("project 'Client work' blocks star", refusal);
        Assert.Contains("'star-esd-u' erases them but was trained for 20 iterations, fewer than the 30", refusal);
        Assert.Equal("Apply concept blocklist", await b.Eval<string>("document.querySelector('#refusal button.remedy').textContent"));
        await b.Shot("refused");

        // Apply concept blocklist → the generation runs.
        await b.Click("#refusal button.remedy");
        var apply = Job("Apply concept blocklist");
        await b.Until($"({apply})?.dataset.state === 'succeeded'");
        await b.Until("document.querySelector('#project-satisfied') !== null");
        await b.Shot("blocklist-applied");
        int before = await b.Eval<int>("document.querySelectorAll('#gallery figure').length");
        await b.Click("#generate-button");
        await b.Until("document.querySelector('#generate-status .ok') !== null");
        await b.Until($"document.querySelectorAll('#gallery figure').length > {before}");
        Assert.Contains("Client work", await b.Eval<string>("document.querySelector('#project-name').textContent"));
        await b.Shot("generated-in-the-project");

        // The live edit now is the blocklist's safe checkpoint.
        using var client = serve.Client();
        var models = await client.GetJson("/api/models");
        var concepts = models["active"]!["liveEdit"]!["concepts"]!.Values<string>().ToList();
        Assert.Equal(["star"], concepts);
        Assert.StartsWith("blocklist-", (string?)models["active"]!["liveEdit"]!["name"]);
    }

    [ChromiumFact]
    public async Task ATrainingCancelledFromThePageLeavesTheLiveWeightsAsTheyWere()
    {
        using var serve = ServeProcess.Start();
        using var client = serve.Client();
        await using var b = await Browser.OpenAsync(serve.Url, "web-cancel");
        var before = await client.GetJson("/api/models/fingerprint");

        await b.Click("[data-menu='Models'] > button");
        await b.Click("[data-item='esd.erase-concept']");
        await b.Fill("#command-fields [name=concepts]", "moon");
        await b.Fill("#command-fields [name=iterations]", "3000");
        await b.Click("#dialog-run");
        var job = Job("Erase concept…");
        await b.Until($"({job})?.dataset.state === 'running' && Number(({job}).querySelector('progress').value) > 0");
        await b.Shot("training");
        await b.Click("#jobs .job[data-state='running'] button.cancel");
        await b.Until($"({job})?.dataset.state === 'cancelled'");
        await b.Shot("cancelled");

        var after = await client.GetJson("/api/models/fingerprint");
        Assert.Equal((string?)before["live"], (string?)after["live"]);
        Assert.Equal((string?)after["original"], (string?)after["live"]);
        Assert.Equal(JTokenType.Null, after["liveStamp"]!.Type);
        // And nothing was stored.
        var edits = await client.GetJson("/api/edits");
        Assert.Empty(edits["catalogs"]![0]!["edits"]!);
    }
}
