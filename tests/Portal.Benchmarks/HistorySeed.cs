using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Exports;
using Npgsql;
using NpgsqlTypes;
using Portal.Security;

namespace Portal.Benchmarks;

/// <summary>
/// Fills the portal's database (schema from its migrations) with a realistic history: owners named like
/// development sign-in users, requests created over 90 days, mostly completed, open ones recent, with the
/// timeline events and result files the engine would have written.
/// </summary>
internal static class HistorySeed
{
    private static readonly (ExportStatus Status, int Weight)[] Statuses =
    [
        (ExportStatus.Completed, 70), (ExportStatus.Expired, 7), (ExportStatus.Failed, 8), (ExportStatus.TimedOut, 3),
        (ExportStatus.Cancelled, 5), (ExportStatus.InProgress, 3), (ExportStatus.Submitted, 2), (ExportStatus.Queued, 2),
    ];

    private static readonly int[] SpanDays = [1, 1, 3, 7, 7, 14, 31];

    public sealed record Counts(int Requests, int Events, int Files);

    /// <summary>The name of owner <paramref name="index"/>; its id is what the development sign-in gives that name.</summary>
    public static string OwnerName(int index) => string.Create(CultureInfo.InvariantCulture, $"History User {index:D4}");

    private sealed record SeedEvent(DateTimeOffset At, ExportStatus? From, ExportStatus To, string Actor, string? Detail);

    private sealed record SeedFile(int Part, string Name, string Url, DateTimeOffset ExpiresAt);

    private sealed record SeedRequest(
        Guid Id, string OwnerId, string OwnerName, string OwnerEmail, DateTimeOffset RangeFrom, DateTimeOffset RangeTo,
        FileFormat Format, ExportStatus Status, string? Uuid, string? UpstreamStatus, long? RowCount, DateTimeOffset CreatedAt,
        DateTimeOffset UpdatedAt, DateTimeOffset? SubmittedAt, DateTimeOffset? CompletedAt, DateTimeOffset? NextPollAt, int Polls,
        string? LastError, List<SeedEvent> Events, List<SeedFile> Files);

    public static async Task<Counts> FillAsync(IDbContextFactory<PortalDbContext> dbFactory, int users, int perUser, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(cancellationToken);
        return connection is NpgsqlConnection npgsql
            ? await CopyAsync(npgsql, Generate(users, perUser), cancellationToken)
            : await InsertAsync(connection, Generate(users, perUser), cancellationToken);
    }

    private static IEnumerable<SeedRequest> Generate(int users, int perUser)
    {
        var random = new Random(20261129);
        var now = DateTimeOffset.UtcNow;
        for (var u = 0; u < users; u++)
        {
            var name = OwnerName(u);
            var ownerId = DevelopmentUserStore.IdFor(name);
            var email = ownerId[4..] + "@example.test";
            for (var r = 0; r < perUser; r++)
            {
                var status = Pick(random);
                var created = status.IsOpen()
                    ? now - TimeSpan.FromMinutes(random.Next(1, 240))
                    : now - TimeSpan.FromSeconds(random.Next(3600, 90 * 24 * 3600));
                var days = SpanDays[random.Next(SpanDays.Length)];
                var to = new DateTimeOffset(created.UtcDateTime.Date, TimeSpan.Zero).AddDays(-random.Next(0, 60));
                var from = to.AddDays(-days);
                var format = FileFormats.All[random.Next(FileFormats.All.Count)];
                var id = Guid.CreateVersion7(created);
                var uuid = status == ExportStatus.Queued ? null : Guid.NewGuid().ToString();
                var submitted = status == ExportStatus.Queued ? (DateTimeOffset?)null : created.AddSeconds(1);
                var preparation = TimeSpan.FromSeconds((days * 20) + random.Next(5, 600));
                var ended = created + preparation;
                var completed = status is ExportStatus.Completed or ExportStatus.Expired ? ended : (DateTimeOffset?)null;
                long? rowCount = completed is null ? null : days * 1_440L * random.Next(50, 1_000);
                var lastError = status switch
                {
                    ExportStatus.Failed => "The upstream could not prepare this export.",
                    ExportStatus.TimedOut => "The upstream did not finish in time.",
                    _ => null,
                };
                var updated = status switch
                {
                    ExportStatus.Queued => created,
                    ExportStatus.Submitted => created.AddSeconds(1),
                    ExportStatus.InProgress => created.AddSeconds(5),
                    ExportStatus.Expired => ended.AddDays(1),
                    _ => ended,
                };
                var nextPollAt = status.IsOpen() ? now.AddSeconds(random.Next(1, 60)) : (DateTimeOffset?)null;
                var polls = status == ExportStatus.Queued ? 0 : random.Next(1, 12);

                var events = new List<SeedEvent>(6);
                ExportStatus? previous = null;
                foreach (var (at, to2, actor, detail) in Timeline(status, created, ended, name))
                {
                    events.Add(new SeedEvent(at, previous, to2, actor, detail));
                    previous = to2;
                }
                var files = new List<SeedFile>(3);
                if (completed is not null)
                {
                    var parts = rowCount > 20_000_000 ? 3 : rowCount > 5_000_000 ? 2 : 1;
                    for (var part = 0; part < parts; part++)
                    {
                        files.Add(new SeedFile(part,
                            string.Create(CultureInfo.InvariantCulture, $"device-status-{part:D3}.{format.ToString().ToLowerInvariant()}"),
                            $"https://upstream.example.test/v3/files/{uuid}/{part}?sig=x", completed.Value.AddHours(1)));
                    }
                }
                yield return new SeedRequest(id, ownerId, name, email, from, to, format, status, uuid, Upstream(status), rowCount, created,
                    updated, submitted, completed, nextPollAt, polls, lastError, events, files);
            }
        }
    }

    private static async Task<Counts> InsertAsync(DbConnection connection, IEnumerable<SeedRequest> requests, CancellationToken cancellationToken)
    {
        // A million requests go into eight indexes in creation order per user, i.e. all over each index: with SQLite's
        // default 2 MB page cache nearly every insert misses, and the seeding takes tens of minutes. So this connection
        // gets a cache that holds them while it seeds, and the default back before it returns to the pool, where the
        // measured queries will find it.
        await SetCacheAsync(connection, "-1048576", cancellationToken);
        try
        {
            return await InsertInOneTransactionAsync(connection, requests, cancellationToken);
        }
        finally
        {
            await SetCacheAsync(connection, "-2000", CancellationToken.None);
        }
    }

    private static async Task SetCacheAsync(DbConnection connection, string kibibytes, CancellationToken cancellationToken)
    {
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA cache_size = " + kibibytes;
        await pragma.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<Counts> InsertInOneTransactionAsync(DbConnection connection, IEnumerable<SeedRequest> requests, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Plain prepared inserts in one transaction: EF's change tracker would take minutes for half a million rows.
        // Values are stored as the portal's converters store them: UTC ticks, enum names, upper-case GUID text.
        await using var insertRequest = Command(connection, transaction, """
            INSERT INTO ExportRequests (Id, OwnerId, OwnerName, OwnerEmail, RangeFrom, RangeTo, Format, Status, RequestUuid, UpstreamStatus,
                RowCount, CreatedAt, CreatedDay, UpdatedAt, SubmittedAt, CompletedAt, CompletionSeenAt, SecondsToComplete, NextPollAt,
                LeaseOwner, LeaseUntil, LeaseToken, Polls, SubmitAttempts, ConsecutiveErrors, LastError, RerunOf, Version)
            VALUES ($id, $ownerId, $ownerName, $ownerEmail, $rangeFrom, $rangeTo, $format, $status, $uuid, $upstreamStatus,
                $rowCount, $createdAt, $createdDay, $updatedAt, $submittedAt, $completedAt, $completionSeenAt, $secondsToComplete, $nextPollAt,
                NULL, NULL, 0, $polls,
                1, 0, $lastError, NULL, $version)
            """);
        await using var insertEvent = Command(connection, transaction,
            "INSERT INTO ExportEvents (ExportId, OwnerId, Version, At, \"From\", \"To\", Actor, Detail, PublishedAt) VALUES ($exportId, $ownerId, 1, $at, $from, $to, $actor, $detail, $at)");
        await using var insertFile = Command(connection, transaction,
            "INSERT INTO ExportFiles (ExportId, Part, Name, Url, UrlExpiresAt) VALUES ($exportId, $part, $name, $url, $expiresAt)");

        int count = 0, events = 0, files = 0;
        foreach (var request in requests)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var p = insertRequest.Parameters;
            p["$id"].Value = Text(request.Id);
            p["$ownerId"].Value = request.OwnerId;
            p["$ownerName"].Value = request.OwnerName;
            p["$ownerEmail"].Value = request.OwnerEmail;
            p["$rangeFrom"].Value = request.RangeFrom.UtcTicks;
            p["$rangeTo"].Value = request.RangeTo.UtcTicks;
            p["$format"].Value = request.Format.ToString();
            p["$status"].Value = request.Status.ToString();
            p["$uuid"].Value = (object?)request.Uuid ?? DBNull.Value;
            p["$upstreamStatus"].Value = (object?)request.UpstreamStatus ?? DBNull.Value;
            p["$rowCount"].Value = request.RowCount is { } rows ? rows : DBNull.Value;
            p["$createdAt"].Value = request.CreatedAt.UtcTicks;
            p["$createdDay"].Value = DateOnly.FromDateTime(request.CreatedAt.UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            p["$updatedAt"].Value = request.UpdatedAt.UtcTicks;
            p["$submittedAt"].Value = request.SubmittedAt is { } s ? s.UtcTicks : DBNull.Value;
            p["$completedAt"].Value = request.CompletedAt is { } c ? c.UtcTicks : DBNull.Value;
            p["$completionSeenAt"].Value = request.CompletedAt is { } seen ? seen.AddSeconds(2).UtcTicks : DBNull.Value;
            p["$secondsToComplete"].Value = request.CompletedAt is { } done ? (done - request.CreatedAt).TotalSeconds : DBNull.Value;
            p["$nextPollAt"].Value = request.NextPollAt is { } next ? next.UtcTicks : DBNull.Value;
            p["$polls"].Value = request.Polls;
            p["$lastError"].Value = (object?)request.LastError ?? DBNull.Value;
            p["$version"].Value = 1;
            insertRequest.ExecuteNonQuery();
            count++;

            foreach (var entry in request.Events)
            {
                var e = insertEvent.Parameters;
                e["$exportId"].Value = Text(request.Id);
                e["$ownerId"].Value = request.OwnerId;
                e["$at"].Value = entry.At.UtcTicks;
                e["$from"].Value = entry.From is { } before ? before.ToString() : DBNull.Value;
                e["$to"].Value = entry.To.ToString();
                e["$actor"].Value = entry.Actor;
                e["$detail"].Value = (object?)entry.Detail ?? DBNull.Value;
                insertEvent.ExecuteNonQuery();
                events++;
            }

            foreach (var file in request.Files)
            {
                var f = insertFile.Parameters;
                f["$exportId"].Value = Text(request.Id);
                f["$part"].Value = file.Part;
                f["$name"].Value = file.Name;
                f["$url"].Value = file.Url;
                f["$expiresAt"].Value = file.ExpiresAt.UtcTicks;
                insertFile.ExecuteNonQuery();
                files++;
            }
        }

        // No ANALYZE: the portal never runs it, so the planner works from the schema alone, as it would in production.
        await transaction.CommitAsync(cancellationToken);
        return new Counts(count, events, files);
    }

    /// <summary>
    /// PostgreSQL's binary COPY, in chunks: each chunk's requests first, then their events and files, whose foreign
    /// keys need the requests in place.
    /// </summary>
    private static async Task<Counts> CopyAsync(NpgsqlConnection connection, IEnumerable<SeedRequest> requests, CancellationToken cancellationToken)
    {
        int count = 0, events = 0, files = 0;
        foreach (var chunk in requests.Chunk(50_000))
        {
            await using (var writer = await connection.BeginBinaryImportAsync("""
                COPY "ExportRequests" ("Id", "OwnerId", "OwnerName", "OwnerEmail", "RangeFrom", "RangeTo", "Format", "Status", "RequestUuid",
                    "UpstreamStatus", "RowCount", "CreatedAt", "CreatedDay", "UpdatedAt", "SubmittedAt", "CompletedAt", "CompletionSeenAt",
                    "SecondsToComplete", "NextPollAt", "LeaseToken", "Polls", "SubmitAttempts", "ConsecutiveErrors", "LastError", "Version")
                FROM STDIN (FORMAT BINARY)
                """, cancellationToken))
            {
                foreach (var r in chunk)
                {
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(r.Id, NpgsqlDbType.Uuid, cancellationToken);
                    await writer.WriteAsync(r.OwnerId, NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(r.OwnerName, NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(r.OwnerEmail, NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(r.RangeFrom, NpgsqlDbType.TimestampTz, cancellationToken);
                    await writer.WriteAsync(r.RangeTo, NpgsqlDbType.TimestampTz, cancellationToken);
                    await writer.WriteAsync(r.Format.ToString(), NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(r.Status.ToString(), NpgsqlDbType.Varchar, cancellationToken);
                    await WriteNullableAsync(writer, r.Uuid, NpgsqlDbType.Varchar, cancellationToken);
                    await WriteNullableAsync(writer, r.UpstreamStatus, NpgsqlDbType.Varchar, cancellationToken);
                    await WriteNullableAsync(writer, r.RowCount, NpgsqlDbType.Bigint, cancellationToken);
                    await writer.WriteAsync(r.CreatedAt, NpgsqlDbType.TimestampTz, cancellationToken);
                    await writer.WriteAsync(DateOnly.FromDateTime(r.CreatedAt.UtcDateTime), NpgsqlDbType.Date, cancellationToken);
                    await writer.WriteAsync(r.UpdatedAt, NpgsqlDbType.TimestampTz, cancellationToken);
                    await WriteNullableAsync(writer, r.SubmittedAt, NpgsqlDbType.TimestampTz, cancellationToken);
                    await WriteNullableAsync(writer, r.CompletedAt, NpgsqlDbType.TimestampTz, cancellationToken);
                    await WriteNullableAsync(writer, r.CompletedAt?.AddSeconds(2), NpgsqlDbType.TimestampTz, cancellationToken);
                    await WriteNullableAsync(writer, (r.CompletedAt - r.CreatedAt)?.TotalSeconds, NpgsqlDbType.Double, cancellationToken);
                    await WriteNullableAsync(writer, r.NextPollAt, NpgsqlDbType.TimestampTz, cancellationToken);
                    await writer.WriteAsync(0L, NpgsqlDbType.Bigint, cancellationToken);
                    await writer.WriteAsync(r.Polls, NpgsqlDbType.Integer, cancellationToken);
                    await writer.WriteAsync(1, NpgsqlDbType.Integer, cancellationToken);
                    await writer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
                    await WriteNullableAsync(writer, r.LastError, NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(1, NpgsqlDbType.Integer, cancellationToken);
                    count++;
                }
                await writer.CompleteAsync(cancellationToken);
            }

            await using (var writer = await connection.BeginBinaryImportAsync("""
                COPY "ExportEvents" ("ExportId", "OwnerId", "Version", "At", "From", "To", "Actor", "Detail", "PublishedAt") FROM STDIN (FORMAT BINARY)
                """, cancellationToken))
            {
                foreach (var r in chunk)
                {
                    foreach (var e in r.Events)
                    {
                        await writer.StartRowAsync(cancellationToken);
                        await writer.WriteAsync(r.Id, NpgsqlDbType.Uuid, cancellationToken);
                        await writer.WriteAsync(r.OwnerId, NpgsqlDbType.Varchar, cancellationToken);
                        await writer.WriteAsync(1, NpgsqlDbType.Integer, cancellationToken);
                        await writer.WriteAsync(e.At, NpgsqlDbType.TimestampTz, cancellationToken);
                        await WriteNullableAsync(writer, e.From?.ToString(), NpgsqlDbType.Varchar, cancellationToken);
                        await writer.WriteAsync(e.To.ToString(), NpgsqlDbType.Varchar, cancellationToken);
                        await writer.WriteAsync(e.Actor, NpgsqlDbType.Varchar, cancellationToken);
                        await WriteNullableAsync(writer, e.Detail, NpgsqlDbType.Varchar, cancellationToken);
                        await writer.WriteAsync(e.At, NpgsqlDbType.TimestampTz, cancellationToken);
                        events++;
                    }
                }
                await writer.CompleteAsync(cancellationToken);
            }

            await using (var writer = await connection.BeginBinaryImportAsync("""
                COPY "ExportFiles" ("ExportId", "Part", "Name", "Url", "UrlExpiresAt") FROM STDIN (FORMAT BINARY)
                """, cancellationToken))
            {
                foreach (var r in chunk)
                {
                    foreach (var f in r.Files)
                    {
                        await writer.StartRowAsync(cancellationToken);
                        await writer.WriteAsync(r.Id, NpgsqlDbType.Uuid, cancellationToken);
                        await writer.WriteAsync(f.Part, NpgsqlDbType.Integer, cancellationToken);
                        await writer.WriteAsync(f.Name, NpgsqlDbType.Varchar, cancellationToken);
                        await writer.WriteAsync(f.Url, NpgsqlDbType.Varchar, cancellationToken);
                        await writer.WriteAsync(f.ExpiresAt, NpgsqlDbType.TimestampTz, cancellationToken);
                        files++;
                    }
                }
                await writer.CompleteAsync(cancellationToken);
            }
        }
        // Unlike SQLite, PostgreSQL's autovacuum analyses and vacuums a table that grew by itself; a history built up
        // over months has been, so do it once here (the visibility map lets the counts read the index alone).
        await using (var vacuum = new NpgsqlCommand("""VACUUM ANALYZE "ExportRequests", "ExportEvents", "ExportFiles" """, connection))
        {
            vacuum.CommandTimeout = 600;
            await vacuum.ExecuteNonQueryAsync(cancellationToken);
        }
        return new Counts(count, events, files);
    }

    private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter writer, T? value, NpgsqlDbType type, CancellationToken cancellationToken)
        where T : class
    {
        if (value is null)
        {
            await writer.WriteNullAsync(cancellationToken);
        }
        else
        {
            await writer.WriteAsync(value, type, cancellationToken);
        }
    }

    private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter writer, T? value, NpgsqlDbType type, CancellationToken cancellationToken)
        where T : struct
    {
        if (value is { } present)
        {
            await writer.WriteAsync(present, type, cancellationToken);
        }
        else
        {
            await writer.WriteNullAsync(cancellationToken);
        }
    }

    private static IEnumerable<(DateTimeOffset At, ExportStatus To, string Actor, string? Detail)> Timeline(
        ExportStatus status, DateTimeOffset created, DateTimeOffset ended, string owner)
    {
        yield return (created, ExportStatus.Queued, owner, "Requested.");
        if (status == ExportStatus.Queued)
        {
            yield break;
        }
        yield return (created.AddSeconds(1), ExportStatus.Submitted, "upstream", null);
        if (status == ExportStatus.Submitted)
        {
            yield break;
        }
        yield return (created.AddSeconds(5), ExportStatus.InProgress, "upstream", null);
        switch (status)
        {
            case ExportStatus.Completed:
                yield return (ended, ExportStatus.Completed, "upstream", null);
                break;
            case ExportStatus.Expired:
                yield return (ended, ExportStatus.Completed, "upstream", null);
                yield return (ended.AddDays(1), ExportStatus.Expired, "upstream", "The upstream no longer keeps the files of this export.");
                break;
            case ExportStatus.Failed:
                yield return (ended, ExportStatus.Failed, "upstream", "The upstream could not prepare this export.");
                break;
            case ExportStatus.TimedOut:
                yield return (ended, ExportStatus.TimedOut, "tracker", "The upstream did not finish in time.");
                break;
            case ExportStatus.Cancelled:
                yield return (ended, ExportStatus.Cancelled, owner, "Tracking stopped.");
                break;
            default:
                break;
        }
    }

    private static string? Upstream(ExportStatus status) => status switch
    {
        ExportStatus.Queued or ExportStatus.Cancelled => null,
        ExportStatus.Submitted => "Submitted",
        ExportStatus.Failed => "Failed",
        ExportStatus.InProgress or ExportStatus.TimedOut => "In Progress",
        _ => "Completed",
    };

    private static ExportStatus Pick(Random random)
    {
        var pick = random.Next(Statuses.Sum(s => s.Weight));
        foreach (var (status, weight) in Statuses)
        {
            if ((pick -= weight) < 0)
            {
                return status;
            }
        }
        return ExportStatus.Completed;
    }

    // EF Core's SQLite provider keeps a GUID as upper-case text; a plain parameter would bind it as a blob.
    private static string Text(Guid id) => id.ToString().ToUpperInvariant();

    private static DbCommand Command(DbConnection connection, DbTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in ParameterNames(sql))
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            command.Parameters.Add(parameter);
        }
        command.Prepare();
        return command;
    }

    private static IEnumerable<string> ParameterNames(string sql) =>
        System.Text.RegularExpressions.Regex.Matches(sql, @"\$[A-Za-z]+").Select(m => m.Value).Distinct(StringComparer.Ordinal);
}
