using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;

namespace Portal.Exports;

/// <summary>A user's daily allowance of exports as it stands now.</summary>
public interface IExportAllowances
{
    Task<ExportAllowance> GetAsync(string userId, CancellationToken cancellationToken = default);
}

/// <summary>
/// Each user's daily allowance of exports (<see cref="ExportsOptions.DailyAllowancePerUser"/>, or an admin's
/// <see cref="UserAllowance"/>), counted from the rows: every request created in the current UTC day, from a page, the
/// API or a schedule, deleted ones included (they were billed).
/// </summary>
public sealed class ExportAllowances(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time, IOptions<ExportsOptions> options, Security.AuditLog audit) : IExportAllowances
{
    public async Task<ExportAllowance> GetAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ReadAsync(db, userId, time.GetUtcNow(), options.Value, cancellationToken);
    }

    /// <summary>The allowance as <paramref name="db"/> sees it now; inside <see cref="UserTransactions.BeginForUserAsync"/> it holds until commit.</summary>
    public static async Task<ExportAllowance> ReadAsync(PortalDbContext db, string userId, DateTimeOffset now, ExportsOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(options);
        var dayStart = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var dayEnd = dayStart.AddDays(1);
        var limit = await db.UserAllowances.Where(a => a.UserId == userId).Select(a => (int?)a.DailyExports).SingleOrDefaultAsync(cancellationToken)
            ?? options.DailyAllowancePerUser;
        var used = await db.ExportRequests.IgnoreQueryFilters()
            .CountAsync(e => e.OwnerId == userId && e.CreatedAt >= dayStart && e.CreatedAt < dayEnd, cancellationToken);
        return new ExportAllowance(limit, used, dayEnd);
    }

    /// <summary>Users with an allowance of their own, for the admin page.</summary>
    public async Task<IReadOnlyList<UserAllowance>> ListRaisedAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.UserAllowances.AsNoTracking().OrderBy(a => a.UserId).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// An admin sets <paramref name="userId"/>'s daily allowance; null returns it to the default. An error message when
    /// the input is not acceptable, else null.
    /// </summary>
    public async Task<string?> SetAsync(ExportUser admin, string userId, int? dailyExports, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        if (!admin.IsAdmin)
        {
            return "Only admins may change a user's daily allowance.";
        }
        userId = userId?.Trim() ?? "";
        if (userId.Length is 0 or > 200)
        {
            return "Enter the user's id (at most 200 characters).";
        }
        if (dailyExports is < 1 or > 100_000)
        {
            return "Enter a daily allowance from 1 to 100000 exports.";
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.UserAllowances.SingleOrDefaultAsync(a => a.UserId == userId, cancellationToken);
        if (dailyExports is not { } limit)
        {
            if (row is not null)
            {
                db.UserAllowances.Remove(row);
            }
        }
        else
        {
            if (row is null)
            {
                row = new UserAllowance { UserId = userId };
                db.UserAllowances.Add(row);
            }
            row.DailyExports = limit;
            row.UpdatedAt = time.GetUtcNow();
            row.UpdatedBy = admin.Name;
        }
        await db.SaveChangesAsync(cancellationToken);
        var target = $"{userId}: {(dailyExports is { } set ? set.ToString(System.Globalization.CultureInfo.InvariantCulture) : "default")}";
        audit.AdminAction(admin.Id, "SetDailyAllowance", target);
        return null;
    }
}
