using System.Data.Common;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Repositories;

/// <summary>
/// <see cref="IRepositoryStore"/> written once over ADO.NET; a dialect supplies connections and migrations.
/// </summary>
public abstract class SqlRepositoryStore : IRepositoryStore
{
    private const string Columns =
        "name, forge, url, secrets, token, workflows, created_by, created_at, api_url, granted_secrets";

    public abstract Task MigrateAsync(CancellationToken ct);

    private protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    private protected abstract bool IsUniqueViolation(DbException e);

    public async Task<bool> CreateAsync(RepositoryRecord repository, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        try
        {
            await ExecAsync(
                connection,
                null,
                $"INSERT INTO repositories ({Columns}) VALUES (@name, @forge, @url, @secrets, @token, @workflows, @by, @at, @api, @granted);",
                ct,
                Parameters(repository)
            );
            return true;
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            return false;
        }
    }

    public async Task<RepositoryRecord?> GetAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return (
            await QueryAsync(
                connection,
                null,
                $"SELECT {Columns} FROM repositories WHERE name = @name;",
                Read,
                ct,
                ("@name", name)
            )
        ).FirstOrDefault();
    }

    public async Task<IReadOnlyList<RepositoryRecord>> ListAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(connection, null, $"SELECT {Columns} FROM repositories ORDER BY name;", Read, ct);
    }

    public async Task<bool> UpdateAsync(RepositoryRecord repository, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecAsync(
                connection,
                null,
                "UPDATE repositories SET forge = @forge, url = @url, secrets = @secrets, token = @token, workflows = @workflows, api_url = @api, granted_secrets = @granted WHERE name = @name;",
                ct,
                Parameters(repository)
            ) == 1;
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecAsync(connection, null, "DELETE FROM repositories WHERE name = @name;", ct, ("@name", name))
            == 1;
    }

    private static (string, object?)[] Parameters(RepositoryRecord r) =>
        [
            ("@name", r.Name),
            ("@forge", r.Forge),
            ("@url", r.Url),
            ("@secrets", SealedText(r.Secrets)),
            ("@token", r.Token is null ? null : SealedText([r.Token])),
            ("@workflows", Json(r.Workflows.ToList())),
            ("@by", r.CreatedBy),
            ("@at", Ms(r.CreatedAt)),
            ("@api", r.ApiUrl),
            ("@granted", Json(r.GrantedSecrets.ToList())),
        ];

    private static RepositoryRecord Read(DbDataReader r) =>
        new(
            r.GetString(0),
            r.GetString(1),
            r.GetString(2),
            FromSealedText(r.GetString(3)),
            Text(r, 4) is { } token ? FromSealedText(token).Single() : null,
            FromJson<List<string>>(r.GetString(5)),
            r.GetString(6),
            Time(r, 7)!.Value,
            Text(r, 8),
            FromJson<List<string>>(r.GetString(9))
        );

    /// <summary>
    /// Sealed values as "keyid:base64" strings in a JSON list (no new JSON type for the generated context).
    /// </summary>
    private static string SealedText(IEnumerable<Sealed> values) =>
        Json(values.Select(v => v.KeyId + ":" + Convert.ToBase64String(v.Ciphertext)).ToList());

    private static List<Sealed> FromSealedText(string json) =>
        FromJson<List<string>>(json)
            .Select(v => v.Split(':', 2))
            .Select(p => new Sealed(p[0], Convert.FromBase64String(p[1])))
            .ToList();
}
