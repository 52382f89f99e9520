using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Exports;
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

    public static async Task<Counts> FillAsync(IDbContextFactory<PortalDbContext> dbFactory, int users, int perUser, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Plain prepared inserts in one transaction: EF's change tracker would take minutes for half a million rows.
        // Values are stored as the portal's converters store them: UTC ticks, enum names, upper-case GUID text.
        await using var insertRequest = Command(connection, transaction, """
            INSERT INTO ExportRequests (Id, OwnerId, OwnerName, OwnerEmail, RangeFrom, RangeTo, Format, Status, RequestUuid, UpstreamStatus,
                RowCount, CreatedAt, UpdatedAt, SubmittedAt, CompletedAt, CompletionSeenAt, NextPollAt, LeaseOwner, LeaseUntil, Polls,
                SubmitAttempts, ConsecutiveErrors, LastError, RerunOf, Version)
            VALUES ($id, $ownerId, $ownerName, $ownerEmail, $rangeFrom, $rangeTo, $format, $status, $uuid, $upstreamStatus,
                $rowCount, $createdAt, $updatedAt, $submittedAt, $completedAt, $completionSeenAt, $nextPollAt, NULL, NULL, $polls,
                1, 0, $lastError, NULL, $version)
            """);
        await using var insertEvent = Command(connection, transaction,
            "INSERT INTO ExportEvents (ExportId, OwnerId, At, \"From\", \"To\", Actor, Detail, PublishedAt) VALUES ($exportId, $ownerId, $at, $from, $to, $actor, $detail, $at)");
        await using var insertFile = Command(connection, transaction,
            "INSERT INTO ExportFiles (ExportId, Part, Name, Url, UrlExpiresAt) VALUES ($exportId, $part, $name, $url, $expiresAt)");

        var random = new Random(20261129);
        var now = DateTimeOffset.UtcNow;
        int requests = 0, events = 0, files = 0;
        for (var u = 0; u < users; u++)
        {
            var name = OwnerName(u);
            var ownerId = DevelopmentUserStore.IdFor(name);
            var email = ownerId[4..] + "@example.test";
            cancellationToken.ThrowIfCancellationRequested();
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

                var p = insertRequest.Parameters;
                p["$id"].Value = Text(id);
                p["$ownerId"].Value = ownerId;
                p["$ownerName"].Value = name;
                p["$ownerEmail"].Value = email;
                p["$rangeFrom"].Value = from.UtcTicks;
                p["$rangeTo"].Value = to.UtcTicks;
                p["$format"].Value = format.ToString();
                p["$status"].Value = status.ToString();
                p["$uuid"].Value = (object?)uuid ?? DBNull.Value;
                p["$upstreamStatus"].Value = Upstream(status) is { } upstream ? upstream : DBNull.Value;
                p["$rowCount"].Value = rowCount is { } count ? count : DBNull.Value;
                p["$createdAt"].Value = created.UtcTicks;
                p["$updatedAt"].Value = updated.UtcTicks;
                p["$submittedAt"].Value = submitted is { } s ? s.UtcTicks : DBNull.Value;
                p["$completedAt"].Value = completed is { } c ? c.UtcTicks : DBNull.Value;
                p["$completionSeenAt"].Value = completed is { } seen ? seen.AddSeconds(2).UtcTicks : DBNull.Value;
                p["$nextPollAt"].Value = status.IsOpen() ? now.AddSeconds(random.Next(1, 60)).UtcTicks : DBNull.Value;
                p["$polls"].Value = status == ExportStatus.Queued ? 0 : random.Next(1, 12);
                p["$lastError"].Value = (object?)lastError ?? DBNull.Value;
                p["$version"].Value = 1;
                insertRequest.ExecuteNonQuery();
                requests++;

                ExportStatus? previous = null;
                foreach (var (at, to2, actor, detail) in Timeline(status, created, ended, name))
                {
                    var e = insertEvent.Parameters;
                    e["$exportId"].Value = Text(id);
                    e["$ownerId"].Value = ownerId;
                    e["$at"].Value = at.UtcTicks;
                    e["$from"].Value = previous is { } before ? before.ToString() : DBNull.Value;
                    e["$to"].Value = to2.ToString();
                    e["$actor"].Value = actor;
                    e["$detail"].Value = (object?)detail ?? DBNull.Value;
                    insertEvent.ExecuteNonQuery();
                    previous = to2;
                    events++;
                }

                if (completed is not null)
                {
                    var parts = rowCount > 20_000_000 ? 3 : rowCount > 5_000_000 ? 2 : 1;
                    for (var part = 0; part < parts; part++)
                    {
                        var f = insertFile.Parameters;
                        f["$exportId"].Value = Text(id);
                        f["$part"].Value = part;
                        f["$name"].Value = string.Create(CultureInfo.InvariantCulture, $"device-status-{part:D3}.{format.ToString().ToLowerInvariant()}");
                        f["$url"].Value = $"https://upstream.example.test/v3/files/{uuid}/{part}?sig=x";
                        f["$expiresAt"].Value = completed.Value.AddHours(1).UtcTicks;
                        insertFile.ExecuteNonQuery();
                        files++;
                    }
                }
            }
        }

        // No ANALYZE: the portal never runs it, so the planner works from the schema alone, as it would in production.
        await transaction.CommitAsync(cancellationToken);
        return new Counts(requests, events, files);
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
