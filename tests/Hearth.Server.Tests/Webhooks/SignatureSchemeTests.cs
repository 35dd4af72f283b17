using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hearth.Server.Webhooks.Signatures;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Server.Tests.Webhooks;

public sealed class SignatureSchemeTests
{
    private static readonly byte[] Body = "{\"ref\":\"refs/heads/main\"}"u8.ToArray();

    private static HeaderDictionary Headers(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            // As Kestrel receives "Name:" with nothing after it: present, with one empty value.
            if (dictionary.ContainsKey(name))
                dictionary.Append(name, value);
            else
                dictionary[name] = new Microsoft.Extensions.Primitives.StringValues(value);
        }
        return dictionary;
    }

    private static string Hex(string secret, byte[] body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    [Fact]
    public void GitHubsPublishedTestVectorVerifies()
    {
        var path = Path.Combine(Fixtures.Webhooks, "github", "signature-test-vector.json");
        using var vector = JsonDocument.Parse(File.ReadAllText(path));
        var root = vector.RootElement;
        var headers = Headers(("X-Hub-Signature-256", root.GetProperty("header_value").GetString()!));
        var body = Encoding.UTF8.GetBytes(root.GetProperty("payload").GetString()!);

        Assert.Equal(
            Verification.Ok,
            HexHmacScheme.GitHub.Verify(headers, body, [root.GetProperty("secret").GetString()!])
        );
        Assert.False(
            HexHmacScheme.GitHub.Verify(headers, "Hello, World?"u8, [root.GetProperty("secret").GetString()!]).Verified
        );
        Assert.False(HexHmacScheme.GitHub.Verify(headers, body, ["It's a Secret to Nobody"]).Verified);
    }

    [Theory]
    [InlineData("X-Hub-Signature-256", "sha256=")]
    [InlineData("X-Hub-Signature", "sha256=")]
    [InlineData("X-Gitea-Signature", "")]
    [InlineData("X-Forgejo-Signature", "")]
    public void HexSchemesAcceptTheRightSignatureAndRefuseMalformedOnes(string header, string prefix)
    {
        var scheme = new HexHmacScheme(header, prefix);
        var good = prefix + Hex("s3cret", Body);
        Assert.True(scheme.Verify(Headers((header, good)), Body, ["s3cret"]).Verified);
        Assert.True(
            scheme
                .Verify(Headers((header, good.ToUpperInvariant().Replace("SHA256=", "sha256="))), Body, ["s3cret"])
                .Verified
        );

        Assert.Equal($"missing {header} header", scheme.Verify(Headers(), Body, ["s3cret"]).Problem);
        Assert.Equal($"empty {header} header", scheme.Verify(Headers((header, "")), Body, ["s3cret"]).Problem);
        Assert.Equal(
            $"{header} header sent 2 times; expected once",
            scheme.Verify(Headers((header, good), (header, good)), Body, ["s3cret"]).Problem
        );
        Assert.False(scheme.Verify(Headers((header, good[..^1])), Body, ["s3cret"]).Verified);
        Assert.False(scheme.Verify(Headers((header, good[..^1] + "g")), Body, ["s3cret"]).Verified);
        Assert.False(scheme.Verify(Headers((header, prefix + Hex("other", Body))), Body, ["s3cret"]).Verified);
        // The body is signed as received: one byte more is another message.
        Assert.False(scheme.Verify(Headers((header, good)), [.. Body, (byte)' '], ["s3cret"]).Verified);
        // A configured scheme without any secret never verifies.
        Assert.Equal(
            "no webhook secret is configured for this repository",
            scheme.Verify(Headers((header, good)), Body, []).Problem
        );
    }

    [Fact]
    public void GitHubRefusesTheLegacySha1PrefixAndAPrefixlessDigest()
    {
        var digest = Hex("s3cret", Body);
        Assert.False(
            HexHmacScheme.GitHub.Verify(Headers(("X-Hub-Signature-256", "sha1=" + digest)), Body, ["s3cret"]).Verified
        );
        Assert.False(HexHmacScheme.GitHub.Verify(Headers(("X-Hub-Signature-256", digest)), Body, ["s3cret"]).Verified);
    }

    [Fact]
    public void EitherOfTwoActiveSecretsVerifiesDuringARotation()
    {
        var byOld = Headers(("X-Hub-Signature-256", "sha256=" + Hex("old", Body)));
        var byNew = Headers(("X-Hub-Signature-256", "sha256=" + Hex("new", Body)));
        Assert.True(HexHmacScheme.GitHub.Verify(byOld, Body, ["new", "old"]).Verified);
        Assert.True(HexHmacScheme.GitHub.Verify(byNew, Body, ["new", "old"]).Verified);
        Assert.False(HexHmacScheme.GitHub.Verify(byOld, Body, ["new"]).Verified);
    }

    [Fact]
    public void GitLabTokenMustEqualASecret()
    {
        var scheme = GitLabTokenScheme.Instance;
        Assert.True(scheme.Verify(Headers(("X-Gitlab-Token", "tok-1")), Body, ["tok-1"]).Verified);
        Assert.True(scheme.Verify(Headers(("X-Gitlab-Token", "tok-2")), Body, ["tok-1", "tok-2"]).Verified);
        Assert.False(scheme.Verify(Headers(("X-Gitlab-Token", "tok-1x")), Body, ["tok-1"]).Verified);
        Assert.False(scheme.Verify(Headers(("X-Gitlab-Token", "tok-")), Body, ["tok-1"]).Verified);
        Assert.Equal("missing X-Gitlab-Token header", scheme.Verify(Headers(), Body, ["tok-1"]).Problem);
        Assert.Equal(
            "empty X-Gitlab-Token header",
            scheme.Verify(Headers(("X-Gitlab-Token", "")), Body, ["tok-1"]).Problem
        );
    }

    [Fact]
    public void StandardWebhooksSignatureIsCheckedWithItsTimestampTolerance()
    {
        var now = DateTimeOffset.Parse("2026-12-06T05:00:00Z");
        var clock = new FakeTimeProvider(now);
        var scheme = new StandardWebhooksScheme(clock);
        var key = new byte[32];
        RandomNumberGenerator.Fill(key);
        var secret = "whsec_" + Convert.ToBase64String(key);
        HeaderDictionary Signed(DateTimeOffset at, string id = "msg_1", byte[]? signingKey = null)
        {
            var stamp = at.ToUnixTimeSeconds().ToString();
            byte[] message = [.. Encoding.UTF8.GetBytes($"{id}.{stamp}."), .. Body];
            var mac = HMACSHA256.HashData(signingKey ?? key, message);
            return Headers(
                ("webhook-id", id),
                ("webhook-timestamp", stamp),
                ("webhook-signature", "v1,AAAA v1," + Convert.ToBase64String(mac))
            );
        }

        Assert.True(scheme.Verify(Signed(now), Body, [secret]).Verified);
        Assert.True(scheme.Verify(Signed(now.AddMinutes(-4)), Body, [secret]).Verified);
        Assert.Equal(
            "webhook-timestamp is older than the 5-minute tolerance",
            scheme.Verify(Signed(now.AddMinutes(-6)), Body, [secret]).Problem
        );
        Assert.Equal(
            "webhook-timestamp is newer than the 5-minute tolerance",
            scheme.Verify(Signed(now.AddMinutes(6)), Body, [secret]).Problem
        );
        // The id is signed: the same signature under another id is refused.
        var moved = Signed(now);
        moved["webhook-id"] = "msg_2";
        Assert.False(scheme.Verify(moved, Body, [secret]).Verified);
        Assert.False(scheme.Verify(Signed(now, signingKey: new byte[32]), Body, [secret]).Verified);
        Assert.Equal(
            "missing webhook-signature header",
            scheme.Verify(Headers(("webhook-id", "m"), ("webhook-timestamp", "1")), Body, [secret]).Problem
        );
        Assert.Equal(
            "webhook-timestamp header: expected Unix seconds",
            scheme
                .Verify(
                    Headers(("webhook-id", "m"), ("webhook-timestamp", "soon"), ("webhook-signature", "v1,x")),
                    Body,
                    [secret]
                )
                .Problem
        );

        // A plain (non-whsec_) secret is used as its UTF-8 bytes.
        Assert.True(scheme.Verify(Signed(now, signingKey: "plain"u8.ToArray()), Body, ["plain"]).Verified);
    }
}
