using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage;

namespace Portal.Data;

/// <summary>
/// An admin's change to one user's daily allowance of exports; users without a row have
/// <c>Exports:DailyAllowancePerUser</c>.
/// </summary>
public sealed class UserAllowance
{
    public string UserId { get; set; } = "";

    /// <summary>Exports the user may request per UTC day.</summary>
    public int DailyExports { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The admin who set it.</summary>
    public string UpdatedBy { get; set; } = "";
}

internal sealed class UserAllowanceConfiguration : IEntityTypeConfiguration<UserAllowance>
{
    public void Configure(EntityTypeBuilder<UserAllowance> builder)
    {
        builder.HasKey(a => a.UserId);
        builder.Property(a => a.UserId).HasMaxLength(200);
        builder.Property(a => a.UpdatedBy).HasMaxLength(200);
    }
}

public static class UserTransactions
{
    /// <summary>
    /// A transaction in which one user's submissions are counted and stored one at a time, on every instance: on
    /// PostgreSQL it holds a transaction-scoped advisory lock on the user; on SQLite the transaction takes the
    /// database's write lock as it begins (<c>BEGIN IMMEDIATE</c>). Two instances racing for a user's last export
    /// of the day so count one after the other.
    /// </summary>
    public static async Task<IDbContextTransaction> BeginForUserAsync(this PortalDbContext db, string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (db is PostgreSqlPortalDbContext)
        {
            var key = "submissions:" + userId;
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({key}, 0))", cancellationToken);
        }
        return transaction;
    }
}
