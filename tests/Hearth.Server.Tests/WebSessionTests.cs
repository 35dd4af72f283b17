using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Server.Tests;

/// <summary>
/// The web UI's session cookie and CSRF checks over plain HTTP (the browser tests are in the end-to-end project):
/// what the cookie is, what it authenticates, and what a forged, tampered, revoked or cross-origin request gets.
/// </summary>
public sealed class WebSessionTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await TestServer.StartAsync(o => o with { Access = o.Access with { AuthFailuresPerMinute = 1000 } });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Signing_in_sets_a_signed_httponly_strict_cookie_that_authenticates_pages_and_the_api()
    {
        var (browser, cookie) = await SignInAsync(_server.AdminKey);
        Assert.Matches("^hearth_session=[^;]+; expires=[^;]+; path=/; samesite=strict; httponly$", cookie);
        Assert.DoesNotContain(_server.AdminKey, cookie);

        var page = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("<h1>Runs</h1>", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/runs")).StatusCode);

        // A tampered cookie is no session: a page redirects to sign-in, the API answers 401.
        var tampered = Browser(cookie.Split(';')[0][..^3] + "AAA");
        var redirected = await tampered.GetAsync("/locks");
        Assert.Equal(HttpStatusCode.SeeOther, redirected.StatusCode);
        Assert.Equal("/login?next=%2Flocks", redirected.Headers.Location?.OriginalString);
        var api = await tampered.GetAsync("/api/v1/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("UNAUTHORIZED", await TestServer.CodeOf(api));
    }

    [Fact]
    public async Task A_cookie_request_that_changes_state_needs_the_pages_csrf_token_and_the_servers_origin()
    {
        var run = await (
            await _server
                .Client(_server.AdminKey)
                .PostAsJsonAsync("api/v1/runs", new CreateRunBody { Command = ["sleep", "60"] }, HearthJson.Options)
        ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options);
        var (browser, _) = await SignInAsync(_server.AdminKey);
        var html = await browser.GetStringAsync($"/runs/{run!.Id}");
        var csrf = Regex.Match(html, "name=\"_csrf\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(csrf);

        var missing = await browser.PostAsync($"/runs/{run.Id}/kill", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Contains("CSRF_TOKEN_MISMATCH", await missing.Content.ReadAsStringAsync());
        var wrong = await browser.PostAsync(
            $"/runs/{run.Id}/kill",
            new FormUrlEncodedContent([new("_csrf", csrf[..^2] + "xx")])
        );
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        using var crossOrigin = new HttpRequestMessage(HttpMethod.Post, $"/runs/{run.Id}/kill")
        {
            Content = new FormUrlEncodedContent([new("_csrf", csrf)]),
            Headers = { { "Origin", "https://evil.example" } },
        };
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(crossOrigin)).StatusCode);
        Assert.Equal("STARTING", await StatusAsync(run.Id));

        var killed = await browser.PostAsync($"/runs/{run.Id}/kill", new FormUrlEncodedContent([new("_csrf", csrf)]));
        Assert.Equal(HttpStatusCode.SeeOther, killed.StatusCode);
        Assert.Equal($"/runs/{run.Id}", killed.Headers.Location?.OriginalString);
        Assert.Equal("STOPPED", await StatusAsync(run.Id));
    }

    [Fact]
    public async Task Revoking_the_key_ends_its_sessions_and_bad_keys_and_agent_tokens_cannot_sign_in()
    {
        var key = await _server.KeyForAsync("leaver@example.com", "developer");
        var (browser, _) = await SignInAsync(key);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
        var revoked = await _server.Client(_server.AdminKey).PostAsync("api/v1/users/leaver@example.com/revoke", null);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        var after = await browser.GetAsync("/api/v1/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("SESSION_ENDED", await TestServer.CodeOf(after));

        foreach (
            var (bad, status, message) in (ValueTuple<string, HttpStatusCode, string>[])
                [
                    ("hk_nope", HttpStatusCode.Unauthorized, "That API key is not known."),
                    (
                        _server.AgentToken,
                        HttpStatusCode.Forbidden,
                        "Agent tokens cannot sign in; use a user&#x27;s API key."
                    ),
                ]
        )
        {
            var refused = await Browser(null).PostAsync("/login", new FormUrlEncodedContent([new("key", bad)]));
            Assert.Equal(status, refused.StatusCode);
            Assert.False(refused.Headers.Contains("Set-Cookie"));
            Assert.Contains(message, await refused.Content.ReadAsStringAsync());
        }
        // After sign-in, only a local path: never another site.
        var offsite = await Browser(null)
            .PostAsync(
                "/login",
                new FormUrlEncodedContent([new("key", _server.AdminKey), new("next", "//evil.example/x")])
            );
        Assert.Equal("/", offsite.Headers.Location?.OriginalString);
    }

    private async Task<string> StatusAsync(string id) =>
        Api.RunStates.ToName(
            (
                await _server
                    .Client(_server.AdminKey)
                    .GetFromJsonAsync<RunView>($"api/v1/runs/{id}", HearthJson.Options)
            )!.Status
        );

    private async Task<(HttpClient Browser, string Cookie)> SignInAsync(string key)
    {
        var anonymous = Browser(null);
        var signedIn = await anonymous.PostAsync(
            "/login",
            new FormUrlEncodedContent([new("key", key), new("next", "/")])
        );
        Assert.Equal(HttpStatusCode.SeeOther, signedIn.StatusCode);
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single();
        return (Browser(cookie.Split(';')[0]), cookie);
    }

    /// <summary>
    /// A client as a browser is: no key header, a cookie (or none), asking for HTML, following no redirect.
    /// </summary>
    private HttpClient Browser(string? cookie)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = _server.Url,
        };
        client.DefaultRequestHeaders.Add("Accept", "text/html");
        if (cookie is not null)
            client.DefaultRequestHeaders.Add("Cookie", cookie);
        return client;
    }
}
