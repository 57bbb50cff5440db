namespace SampleHost.Web.Tests;

/// <summary>A test that drives the system's Chromium (Debian's <c>chromium</c>, which .ci/run installs); skipped, saying so, where there is none.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Browser.ExecutablePath is null)
            Skip = $"no Chromium at {string.Join(" or ", Browser.Candidates)} (install Debian's chromium package; .ci/run does)";
    }
}
