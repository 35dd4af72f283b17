using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// One real server and agent (separate processes, SQLite) and one headless Chromium (Debian's, driven by Playwright
/// with no browser download) for all the web UI tests; each test opens its own browser context, so its own cookies.
/// </summary>
public sealed class WebUiFixture : IAsyncLifetime
{
    /// <summary>Where Debian's chromium package puts the browser (test.sh installs it).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright _playwright = null!;

    public HearthCluster Cluster { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public string DeveloperKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: apt-get install chromium (test.sh does)");
        Cluster = await HearthCluster.StartAsync(store: StoreKind.Sqlite);
        await Cluster.StartAgentAsync(labels: "machine=build");
        Admin = new HttpClient { BaseAddress = new Uri(Cluster.Url.TrimEnd('/') + "/") };
        Admin.DefaultRequestHeaders.Add("X-API-Key", Cluster.AdminKey);
        DeveloperKey = await KeyForAsync("dev@example.com", "developer");
        _playwright = await Playwright.CreateAsync();
        // --no-sandbox: the tests run as root in a container, where Chromium's own sandbox cannot start.
        Browser = await _playwright.Chromium.LaunchAsync(
            new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            }
        );
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        _playwright?.Dispose();
        Admin?.Dispose();
        if (Cluster is not null)
            await Cluster.DisposeAsync();
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(
            new BrowserNewContextOptions
            {
                BaseURL = Cluster.Url.TrimEnd('/'),
                AcceptDownloads = true,
                ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
                ColorScheme = ColorScheme.Light,
                TimezoneId = "UTC",
            }
        );
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the form, as a user would, and waits for the runs page.</summary>
    public async Task<IPage> SignedInAsync(string key)
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?next=%2F$"));
        await page.FillAsync("#key", key);
        await page.ClickAsync("form[action='/login'] button[type=submit]");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Runs");
        return page;
    }

    /// <summary>Starts a detached run with the CLI, as the admin; returns its id.</summary>
    public async Task<string> StartRunAsync(params string[] args)
    {
        var result = await Cluster.CliAsync(["run", "-d", .. args]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout.Trim();
    }

    public async Task<string> StatusOfAsync(string runId)
    {
        var view = await Admin.GetFromJsonAsync<JsonElement>($"api/v1/runs/{runId}");
        return view.GetProperty("status").GetString()!;
    }

    public async Task<string> CreatorOfAsync(string runId)
    {
        var view = await Admin.GetFromJsonAsync<JsonElement>($"api/v1/runs/{runId}");
        return view.GetProperty("created_by").GetString()!;
    }

    private async Task<string> KeyForAsync(string email, string role)
    {
        var created = await Admin.PostAsJsonAsync("api/v1/users", new { email, role });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("claim_token").GetString();
        using var anonymous = new HttpClient { BaseAddress = Admin.BaseAddress };
        var claimed = await anonymous.PostAsync($"api/v1/claim/{token}", null);
        Assert.True(claimed.IsSuccessStatusCode, await claimed.Content.ReadAsStringAsync());
        return (await claimed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("api_key").GetString()!;
    }
}
