using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

public abstract partial class SqlRunStore
{
    public async Task RegisterImageAsync(RegisteredImage image, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            if (image.IsDefault)
                await ExecAsync(connection, tx, "UPDATE registered_images SET is_default = 0;", ct);
            await ExecAsync(
                connection,
                tx,
                "DELETE FROM registered_images WHERE reference = @ref;",
                ct,
                ("@ref", image.Reference)
            );
            await ExecAsync(
                connection,
                tx,
                """
                INSERT INTO registered_images (reference, cpus, memory_bytes, is_default, registered_by, registered_at)
                VALUES (@ref, @cpus, @memory, @default, @by, @at);
                """,
                ct,
                ("@ref", image.Reference),
                ("@cpus", image.Cpus),
                ("@memory", image.MemoryBytes),
                ("@default", image.IsDefault ? 1 : 0),
                ("@by", image.RegisteredBy),
                ("@at", Ms(image.RegisteredAt))
            );
            await tx.CommitAsync(ct);
        }
    }

    public async Task<IReadOnlyList<RegisteredImage>> ListRegisteredImagesAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(
            connection,
            null,
            "SELECT reference, cpus, memory_bytes, is_default, registered_by, registered_at FROM registered_images ORDER BY reference;"
        );
        await using var reader = await command.ExecuteReaderAsync(ct);
        var images = new List<RegisteredImage>();
        while (await reader.ReadAsync(ct))
        {
            images.Add(
                new RegisteredImage(
                    reader.GetString(0),
                    reader.IsDBNull(1) ? null : reader.GetDouble(1),
                    reader.IsDBNull(2) ? null : reader.GetInt64(2),
                    Convert.ToInt64(reader.GetValue(3)) != 0,
                    reader.GetString(4),
                    Time(reader, 5)!.Value
                )
            );
        }
        return images;
    }

    public async Task<bool> UnregisterImageAsync(string reference, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var removed = await ExecAsync(
                connection,
                tx,
                "DELETE FROM registered_images WHERE reference = @ref;",
                ct,
                ("@ref", reference)
            );
            await tx.CommitAsync(ct);
            return removed > 0;
        }
    }
}
