using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using Hearth.Server.Api;
using Hearth.Server.Audit;
using Hearth.Server.Configuration;
using Hearth.Server.Secrets;
using Hearth.Store.Access;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Hearth.Server.Auth;

/// <summary>
/// Access control wiring: the access store, secrets, rate limits, TLS, CORS and the middleware order.
/// </summary>
public sealed class AccessSetup
{
    private readonly ServerOptions _options;
    private readonly X509Certificate2? _certificate;

    private AccessSetup(ServerOptions options, IAccessStore store, SecretKeyring keyring, X509Certificate2? certificate)
    {
        _options = options;
        Store = store;
        Keyring = keyring;
        _certificate = certificate;
    }

    public IAccessStore Store { get; }

    public SecretKeyring Keyring { get; }

    /// <summary>
    /// Loads keys and certificates (a bad one stops the start with its file named) and migrates the access tables.
    /// </summary>
    public static async Task<AccessSetup> PrepareAsync(ServerOptions options, AreaStores areas, CancellationToken ct)
    {
        var certificate = LoadCertificate(options.Access);
        var store = await areas.OpenAsync<IAccessStore>(
            cs => new PostgresAccessStore(cs),
            path => new SqliteAccessStore(path),
            ct
        );
        // A missing key file is made afresh only while no secret needs the old one.
        var secrets = await store.ListSecretsAsync(ct);
        var keyring = SecretKeyLoader.Load(options, secrets.Select(s => s.KeyId).Distinct().ToList());
        return new AccessSetup(options, store, keyring, certificate);
    }

    public void ConfigureListener(ListenOptions listen)
    {
        if (_certificate is not null)
            listen.UseHttps(_certificate);
    }

    public void AddServices(IServiceCollection services)
    {
        services.AddSingleton(Store);
        services.AddSingleton(Keyring);
        services.AddMemoryCache(o => o.SizeLimit = 100_000);
        services.AddSingleton<AuthFailureThrottle>();
        services.AddSingleton<VerifiedKeys>();
        services.AddSingleton<OwnerLookup>();
        services.AddSingleton<RunAccess>();
        services.AddSingleton<DriverPolicy>();
        services.AddSingleton<SecretService>();
        services.AddSingleton<LogMasks>();
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PerKey(_options.Access.RequestsPerMinutePerKey),
                PerAddress(_options.Access.RequestsPerMinutePerIp)
            );
            limiter.OnRejected = async (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                await ApiResults
                    .Error(StatusCodes.Status429TooManyRequests, "RATE_LIMITED", "too many requests; slow down")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        if (_options.Access.CorsAllowedOrigins.Count > 0)
        {
            services.AddCors(cors =>
                cors.AddDefaultPolicy(policy =>
                    policy
                        .WithOrigins([.. _options.Access.CorsAllowedOrigins])
                        .WithMethods("GET", "POST", "PUT", "DELETE")
                        .WithHeaders("Content-Type", "X-API-Key", "Authorization", RequestIdMiddleware.Header)
                        .WithExposedHeaders(RequestIdMiddleware.Header)
                        .SetPreflightMaxAge(TimeSpan.FromHours(1))
                )
            );
        }
    }

    /// <summary>
    /// Outermost: every answer carries a request id and every mutating request is audited, errors and refusals
    /// included.
    /// </summary>
    public static void UseFront(WebApplication app)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<AuditMiddleware>();
    }

    /// <summary>
    /// After error handling: CORS, routing (the policy is looked up by route), rate limits, authentication,
    /// authorization.
    /// </summary>
    public void UseAccessControl(WebApplication app)
    {
        if (_options.Access.CorsAllowedOrigins.Count > 0)
            app.UseCors();
        app.UseRouting();
        app.UseMiddleware<Telemetry.LogScopeMiddleware>();
        app.UseRateLimiter();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseMiddleware<AuthorizationMiddleware>();
    }

    /// <summary>Re-encrypts secrets left under an old key.</summary>
    public static Task RotateSecretsAsync(WebApplication app, CancellationToken ct) =>
        app.Services.GetRequiredService<SecretService>().RotateAsync(ct);

    private static X509Certificate2? LoadCertificate(AccessOptions access)
    {
        if (access.TlsCertFile is null || access.TlsKeyFile is null)
            return null;
        try
        {
            return X509Certificate2.CreateFromPemFile(access.TlsCertFile, access.TlsKeyFile);
        }
        catch (Exception e)
            when (e is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ConfigException(
                $"tls.cert_file {access.TlsCertFile} / tls.key_file {access.TlsKeyFile}: {e.Message}"
            );
        }
    }

    private static bool IsAgentProtocol(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/api/v1/agent");

    /// <summary>
    /// Per user key, by a hash of it (the key itself is never kept as a partition name). Agents are not limited here.
    /// </summary>
    private static PartitionedRateLimiter<HttpContext> PerKey(int perMinute) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            var key = context.Request.Headers["X-API-Key"].ToString();
            if (
                key.Length == 0
                && context.Request.Headers.Authorization.ToString() is { } auth
                && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            )
                key = auth[7..].Trim();
            if (key.Length == 0 || IsAgentProtocol(context))
                return RateLimitPartition.GetNoLimiter("none");
            return RateLimitPartition.GetTokenBucketLimiter("key:" + ApiKeys.Hash(key)[..24], _ => Bucket(perMinute));
        });

    private static PartitionedRateLimiter<HttpContext> PerAddress(int perMinute) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context =>
            IsAgentProtocol(context)
                ? RateLimitPartition.GetNoLimiter("agents")
                : RateLimitPartition.GetTokenBucketLimiter("ip:" + ClientAddress.Of(context), _ => Bucket(perMinute))
        );

    private static TokenBucketRateLimiterOptions Bucket(int perMinute) =>
        new()
        {
            TokenLimit = perMinute,
            TokensPerPeriod = Math.Max(1, perMinute / 60),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
}
