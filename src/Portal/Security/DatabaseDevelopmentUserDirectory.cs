using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Security;

/// <summary>
/// The development sign-in's users in the portal's database (Development only, with several instances): a session
/// begun on one instance is known to every other, and a restart of Redis or of an instance keeps everyone signed in.
/// </summary>
public sealed class DatabaseDevelopmentUserDirectory(IDbContextFactory<PortalDbContext> dbFactory) : IDevelopmentUserDirectory
{
    public DevelopmentUser? Find(string id)
    {
        using var db = dbFactory.CreateDbContext();
        var entry = db.DevelopmentUsers.AsNoTracking().SingleOrDefault(u => u.Id == id);
        return entry is null ? null : new DevelopmentUser(entry.Id, entry.Name, entry.Email, entry.IsAdmin);
    }

    public void Save(DevelopmentUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        // Two instances may sign the same name in at once: the one that loses the insert updates the row instead.
        for (var attempt = 1; ; attempt++)
        {
            using var db = dbFactory.CreateDbContext();
            var entry = db.DevelopmentUsers.SingleOrDefault(u => u.Id == user.Id);
            if (entry is null)
            {
                entry = new DevelopmentUserEntry { Id = user.Id };
                db.DevelopmentUsers.Add(entry);
            }
            entry.Name = user.Name;
            entry.Email = user.Email;
            entry.IsAdmin = user.IsAdmin;
            try
            {
                db.SaveChanges();
                return;
            }
            catch (DbUpdateException) when (attempt == 1)
            {
            }
        }
    }

    public bool Remove(string id)
    {
        using var db = dbFactory.CreateDbContext();
        return db.DevelopmentUsers.Where(u => u.Id == id).ExecuteDelete() > 0;
    }
}
