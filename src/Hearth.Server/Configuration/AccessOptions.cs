namespace Hearth.Server.Configuration;

/// <summary>
/// Secrets encryption, TLS, CORS and request limits (the secrets.*, tls.*, cors.* and limits.* settings).
/// </summary>
public sealed record AccessOptions
{
    /// <summary>
    /// File holding the base64 of the 32-byte secrets key. Default: DataDir/secrets.key, created on first start.
    /// </summary>
    public string? SecretsKeyFile { get; init; }

    /// <summary>The key itself (base64), normally from HEARTH_SECRETS_KEY; wins over the file.</summary>
    public string? SecretsKey { get; init; }

    /// <summary>Earlier keys (files); secrets under them are re-encrypted with the current key at start.</summary>
    public IReadOnlyList<string> SecretsOldKeyFiles { get; init; } = [];
    public string? TlsCertFile { get; init; }
    public string? TlsKeyFile { get; init; }

    /// <summary>Origins allowed to call the API from a browser; none (CORS off) unless set.</summary>
    public IReadOnlyList<string> CorsAllowedOrigins { get; init; } = [];

    /// <summary>Requests a minute per user key.</summary>
    public int RequestsPerMinutePerKey { get; init; } = 1200;

    /// <summary>
    /// Requests a minute per client address, over all user keys and anonymous calls (agent protocol excepted).
    /// </summary>
    public int RequestsPerMinutePerIp { get; init; } = 3000;

    /// <summary>
    /// Failed authentications (bad key, bad claim token) a minute per client network (/24, /64) before it gets 429.
    /// </summary>
    public int AuthFailuresPerMinute { get; init; } = 20;

    /// <summary>Failed authentications a minute over all networks before every further failure gets 429.</summary>
    public int AuthFailuresPerMinuteTotal { get; init; } = 200;
    public long MaxBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Secrets bodies are small; a larger one is refused before it is read.</summary>
    public long MaxSecretBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Bodies of run and workflow creation (and the other small user calls), refused before they are read.
    /// </summary>
    public long MaxRunBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// A webhook delivery's body (limits.max_webhook_body_bytes): GitHub's own cap, 25 MiB; larger is 413 before
    /// reading.
    /// </summary>
    public long MaxWebhookBodyBytes { get; init; } = 25 * 1024 * 1024;
}
