using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// The web UI in a real headless Chromium against a real server and agent: sign-in, live logs, kill, what a developer
/// may see and do, and screenshots of the main pages (written to $HEARTH_UI_SCREENSHOTS when set:
/// tools/ui-screenshots.sh).
/// </summary>
public sealed class WebUiTests(WebUiFixture fixture) : IClassFixture<WebUiFixture>
{
    /// <summary>A line every 0.1 s, half of them in ANSI red, until killed.</summary>
    private static readonly string[] Ticker =
    [
        "--driver",
        "process",
        "--",
        "sh",
        "-c",
        "i=0; while :; do echo \"tick $i\"; printf '\\033[31mred %s\\033[0m\\n' $i; i=$((i+1)); sleep 0.1; done",
    ];

    [Fact]
    public async Task A_bad_key_is_refused_and_a_good_one_gets_a_strict_httponly_session_cookie_and_nothing_else()
    {
        var page = await fixture.NewPageAsync();
        var response = await page.GotoAsync("/agents");
        Assert.Matches("/login\\?next=%2Fagents$", page.Url);
        Assert.Equal(200, response!.Status);

        await page.FillAsync("#key", "hk_not-a-real-key");
        await page.ClickAsync("form[action='/login'] button[type=submit]");
        await Expect(page.Locator("#login-error")).ToHaveTextAsync("That API key is not known.");
        Assert.Empty(await page.Context.CookiesAsync());

        await page.FillAsync("#key", fixture.Cluster.AgentToken);
        await page.ClickAsync("form[action='/login'] button[type=submit]");
        await Expect(page.Locator("#login-error"))
            .ToHaveTextAsync("Agent tokens cannot sign in; use a user's API key.");
        Assert.Empty(await page.Context.CookiesAsync());

        await page.FillAsync("#key", fixture.Cluster.AdminKey);
        await page.ClickAsync("form[action='/login'] button[type=submit]");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Agents");
        Assert.EndsWith("/agents", page.Url);
        var cookie = Assert.Single(await page.Context.CookiesAsync());
        Assert.Equal("hearth_session", cookie.Name);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(fixture.Cluster.AdminKey, cookie.Value);
        Assert.DoesNotContain(fixture.Cluster.AdminKey, page.Url);
        Assert.Equal("{}", await page.EvaluateAsync<string>("() => JSON.stringify(localStorage) + ''"));
        Assert.Equal("", await page.EvaluateAsync<string>("() => document.cookie"));
        await Expect(page.Locator("[data-agent='agent-1'] .badge")).ToHaveTextAsync("ONLINE");
        await Expect(page.Locator("[data-agent='agent-1']")).ToContainTextAsync("machine=build");

        // A state-changing request with the cookie but without the page's CSRF token is refused.
        var forged = await page.EvaluateAsync<int>("async () => (await fetch('/logout', { method: 'POST' })).status");
        Assert.Equal(403, forged);
        await page.ClickAsync("text=Sign out");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Sign in");
        Assert.Empty(await page.Context.CookiesAsync());
        await page.GotoAsync("/locks");
        Assert.Matches("/login\\?next=%2Flocks$", page.Url);
    }

    [Fact]
    public async Task An_admin_watches_a_runs_logs_arrive_live_pauses_downloads_kills_it_and_sees_it_stopped()
    {
        var runId = await fixture.StartRunAsync(Ticker);
        var page = await fixture.SignedInAsync(fixture.Cluster.AdminKey);
        await Expect(page.Locator($"tr[data-run='{runId}']")).ToBeVisibleAsync();
        await page.ClickAsync($"tr[data-run='{runId}'] a");
        await Expect(page.Locator("h1")).ToContainTextAsync(runId);

        // Lines keep arriving after the page loaded: the log is followed, not fetched once.
        var lines = page.Locator("#log .l");
        await Expect(lines.Filter(new LocatorFilterOptions { HasText = "tick 0" })).ToHaveCountAsync(1);
        var seen = await lines.CountAsync();
        await Expect(page.Locator($"#log .l[data-seq='{seen + 6}']")).ToHaveCountAsync(1);
        // ANSI red is rendered as a colour, without the escape codes.
        var red = page.Locator("#log .l .x span", new PageLocatorOptions { HasText = "red 0" });
        await Expect(red).ToHaveCSSAsync("color", "rgb(205, 49, 49)");
        Assert.DoesNotContain("\u001b", await page.Locator("#log").InnerTextAsync());
        await Expect(page.Locator("#run-state .badge")).ToHaveTextAsync("RUNNING");

        // Paused: new lines are counted, not shown; resumed, they are shown.
        await page.ClickAsync("#log-pause");
        var shown = await lines.CountAsync();
        await Expect(page.Locator("#log-status"))
            .ToHaveTextAsync(new Regex("^Paused · ([5-9]|\\d{2,}) new lines waiting$"));
        Assert.Equal(shown, await lines.CountAsync());
        await page.ClickAsync("#log-pause");
        await Expect(page.Locator($"#log .l[data-seq='{shown + 5}']")).ToHaveCountAsync(1);

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#log-download"));
        Assert.Equal($"{runId}.log", download.SuggestedFilename);
        var text = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("tick 0\nred 0\ntick 1\nred 1\n", text);
        Assert.DoesNotContain("\u001b", text);

        await page.ClickAsync("#kill button");
        await Expect(page.Locator("#run-state .badge")).ToHaveTextAsync("STOPPED");
        await Expect(page.Locator("#log-status")).ToContainTextAsync("ended: STOPPED");
        await Expect(page.Locator("#kill")).ToHaveCountAsync(0);
        Assert.Equal("STOPPED", await fixture.StatusOfAsync(runId));
        await Expect(page.Locator(".bars li")).Not.ToHaveCountAsync(0);

        // The list shows it stopped, and its filter finds it.
        var user = await fixture.CreatorOfAsync(runId);
        await page.GotoAsync($"/?state=STOPPED&kind=command&user={Uri.EscapeDataString(user)}");
        await Expect(page.Locator($"tr[data-run='{runId}'] .badge")).ToHaveTextAsync("STOPPED");
        await page.GotoAsync("/?user=nobody%40example.com");
        await Expect(page.Locator(".empty")).ToHaveTextAsync("No runs match.");
        await page.GotoAsync("/?state=SUCCEEDED");
        await Expect(page.Locator($"tr[data-run='{runId}']")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_developer_gets_only_what_the_api_gives_it_no_agents_and_no_kill_of_an_admins_run()
    {
        var runId = await fixture.StartRunAsync(Ticker);
        var page = await fixture.SignedInAsync(fixture.DeveloperKey);
        await Expect(page.Locator(".who .role")).ToHaveTextAsync("developer");
        await Expect(page.Locator("header nav a")).ToHaveTextAsync(["Runs", "Locks"]);

        var agents = await page.GotoAsync("/agents");
        Assert.Equal(403, agents!.Status);
        await Expect(page.Locator("main")).ToContainTextAsync("role 'developer' may not agents.read");

        // Developers read every run (docs/security.md), as the API lets them, but kill only their own.
        await page.GotoAsync($"/runs/{runId}");
        await Expect(page.Locator("#run-state .badge")).ToHaveTextAsync(new Regex("^(STARTING|RUNNING)$"));
        await Expect(page.Locator("#kill")).ToHaveCountAsync(0);
        var status = await page.EvaluateAsync<int>(
            "async id => (await fetch('/runs/' + id + '/kill', { method: 'POST', headers: { 'X-CSRF-Token': "
                + "document.querySelector('input[name=_csrf]').value } })).status",
            runId
        );
        Assert.Equal(403, status);
        var viaApi = await page.EvaluateAsync<int>(
            "async id => (await fetch('/api/v1/runs/' + id + '/kill', { method: 'POST', headers: { 'X-CSRF-Token': "
                + "document.querySelector('input[name=_csrf]').value } })).status",
            runId
        );
        Assert.Equal(403, viaApi);
        Assert.Equal("RUNNING", await fixture.StatusOfAsync(runId));
        await fixture.Cluster.CliAsync("kill", runId);

        // Its own run it may kill, from the page.
        var own = await page.EvaluateAsync<string>(
            "async () => (await (await fetch('/api/v1/runs', { method: 'POST', headers: { 'Content-Type': 'application/json', "
                + "'X-CSRF-Token': document.querySelector('input[name=_csrf]').value }, body: JSON.stringify({ command: ['sleep', '60'] }) })).json()).id"
        );
        await page.GotoAsync($"/runs/{own}");
        await page.ClickAsync("#kill button");
        await Expect(page.Locator("#run-state .badge")).ToHaveTextAsync("STOPPED");
    }

    [Fact]
    public async Task The_main_pages_render_and_are_captured()
    {
        var directory = Environment.GetEnvironmentVariable("HEARTH_UI_SCREENSHOTS") is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Directory.CreateTempSubdirectory("hearth-ui-").FullName;
        Directory.CreateDirectory(directory);

        var done = await fixture.StartRunAsync(
            "--driver",
            "process",
            "--",
            "sh",
            "-c",
            "printf '\\033[1;32m==>\\033[0m building\\n'; echo compiling 42 files; printf '\\033[33mwarning:\\033[0m unused import\\n'; echo done"
        );
        var holder = await fixture.StartRunAsync("--driver", "process", "--lock", "deploy", "--", "sleep", "60");
        var waiter = await fixture.StartRunAsync("--driver", "process", "--lock", "deploy", "--", "true");
        var workflowFile = Path.Combine(fixture.Cluster.DataDir, "release.kdl");
        await File.WriteAllTextAsync(
            workflowFile,
            """
            version "0.1"
            triggers "manual"
            chain {
                machine "build"
                fragment { run "echo compile" }
                parallel {
                    fragment { run "echo unit tests" }
                    fragment { run "echo lint" }
                }
                fragment { run "echo package" }
            }
            """
        );
        var workflow = await fixture.Cluster.CliAsync("workflow", "run", workflowFile);
        Assert.True(workflow.ExitCode == 0, workflow.Stderr);
        var workflowId = AdHocRunTests.RunId(workflow.Stderr);

        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/login");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, "login.png") });
        await page.FillAsync("#key", fixture.Cluster.AdminKey);
        await page.ClickAsync("form[action='/login'] button[type=submit]");
        await Expect(page.Locator($"tr[data-run='{waiter}']")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, "runs.png") });

        await page.GotoAsync($"/runs/{done}");
        await Expect(page.Locator("#log-status")).ToContainTextAsync("ended: SUCCEEDED");
        await Expect(page.Locator("#log .l")).ToHaveCountAsync(4);
        await page.ScreenshotAsync(
            new PageScreenshotOptions { Path = Path.Combine(directory, "run.png"), FullPage = true }
        );

        await page.GotoAsync($"/runs/{workflowId}");
        await Expect(page.Locator(".tree [data-step='1'] .badge").First).ToHaveTextAsync("SUCCEEDED");
        await Expect(page.Locator(".tree [data-step='1.1']")).ToContainTextAsync("echo lint");
        await Expect(page.Locator("#log-status")).ToContainTextAsync("ended: SUCCEEDED");
        await page.ScreenshotAsync(
            new PageScreenshotOptions { Path = Path.Combine(directory, "workflow.png"), FullPage = true }
        );

        await page.GotoAsync("/locks");
        await Expect(page.Locator("[data-lock='deploy']")).ToContainTextAsync(holder);
        await Expect(page.Locator("[data-lock='deploy'] .queue")).ToContainTextAsync(waiter);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, "locks.png") });

        await page.GotoAsync("/agents");
        await Expect(page.Locator("[data-agent='agent-1']")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, "agents.png") });
        await fixture.Cluster.CliAsync("kill", holder);

        foreach (var name in (string[])["login", "runs", "run", "workflow", "locks", "agents"])
            Assert.True(new FileInfo(Path.Combine(directory, name + ".png")).Length > 5_000, $"{name}.png");
    }
}
