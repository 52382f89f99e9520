using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>A user of the development sign-in, as the store knows them now.</summary>
public sealed record DevelopmentUser(string Id, string Name, string? Email, bool IsAdmin);

/// <summary>
/// The development sign-in's directory: the demo users from configuration plus everyone who signed in by name,
/// with their admin flag. With one instance it lives in memory, so a restart asks everyone to sign in again; with
/// several (Redis configured) it is the database's <see cref="DatabaseDevelopmentUserDirectory"/>, which outlives a
/// restart of an instance or of Redis. Changing or removing a user here ends their sessions at the next revalidation,
/// the way a directory change does in production.
/// </summary>
public sealed class DevelopmentUserStore
{
    private static readonly DevelopmentUserOptions[] BuiltInDemoUsers =
    [
        new() { Name = "Alice Analyst", Email = "alice@example.test" },
        new() { Name = "Bob Builder", Email = "bob@example.test" },
        new() { Name = "Ada Admin", Email = "ada@example.test", IsAdmin = true },
    ];

    private readonly ConcurrentDictionary<string, DevelopmentUser> _users = new(StringComparer.Ordinal);
    private readonly IOptionsMonitor<SecurityOptions> _options;
    private readonly IDevelopmentUserDirectory? _shared;

    /// <param name="shared">With several instances, where every instance keeps the users (else this process).</param>
    public DevelopmentUserStore(IOptionsMonitor<SecurityOptions> options, IDevelopmentUserDirectory? shared = null)
    {
        _options = options;
        _shared = shared;
    }

    /// <summary>The demo users the sign-in page offers.</summary>
    public IReadOnlyList<DevelopmentUser> DemoUsers
    {
        get
        {
            var configured = _options.CurrentValue.Development.Users;
            return (configured.Count > 0 ? configured : (IEnumerable<DevelopmentUserOptions>)BuiltInDemoUsers)
                .Where(u => !string.IsNullOrWhiteSpace(u.Name))
                .Select(u => new DevelopmentUser(IdFor(u.Name), u.Name.Trim(), u.Email, u.IsAdmin))
                .ToList();
        }
    }

    /// <summary>Records a sign-in: the same name is always the same user, whatever its letter case.</summary>
    public DevelopmentUser SignIn(string name, bool isAdmin)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException("A development user needs a name of up to 80 characters with a letter or digit.", nameof(name));
        }
        var trimmed = NormalizeName(name);
        var id = IdFor(trimmed);
        var email = DemoUsers.FirstOrDefault(u => u.Id == id)?.Email ?? $"{id[4..]}@example.test";
        var user = new DevelopmentUser(id, trimmed, email, isAdmin);
        if (_shared is not null)
        {
            _shared.Save(user);
            return user;
        }
        _users[id] = user;
        return user;
    }

    public DevelopmentUser? Find(string id) => _shared is not null ? _shared.Find(id) : _users.GetValueOrDefault(id);

    /// <summary>Grants or withdraws the admin role; open pages of the user notice at their next revalidation.</summary>
    public bool SetAdmin(string id, bool isAdmin)
    {
        if (_shared is not null)
        {
            if (_shared.Find(id) is not { } known)
            {
                return false;
            }
            _shared.Save(known with { IsAdmin = isAdmin });
            return true;
        }
        while (_users.TryGetValue(id, out var user))
        {
            if (_users.TryUpdate(id, user with { IsAdmin = isAdmin }, user))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Removes the user; their sessions end at the next request or revalidation.</summary>
    public bool Remove(string id) => _shared is not null ? _shared.Remove(id) : _users.TryRemove(id, out _);

    /// <summary>The session's principal; <paramref name="teams"/> are the teams this sign-in gives (none when null).</summary>
    public static ClaimsPrincipal CreatePrincipal(DevelopmentUser user, string adminRole, TeamMembership? teams = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, user.Id),
            new(ExportUser.ObjectIdClaim, user.Id),
            new("name", user.Name),
            new(ClaimTypes.Name, user.Name),
        ];
        if (user.Email is not null)
        {
            claims.Add(new(ClaimTypes.Email, user.Email));
        }
        if (user.IsAdmin)
        {
            claims.Add(new(ClaimTypes.Role, adminRole));
        }
        if (teams is not null)
        {
            TeamClaims.Add(claims, teams.Teams, teams.MaintainedTeams);
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, PortalClaims.DevelopmentAuthenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>A name is usable when it has a letter or digit and fits on a badge.</summary>
    public static bool IsValidName(string? name) =>
        name is not null && NormalizeName(name).Length is > 0 and <= 80 && name.Any(char.IsLetterOrDigit);

    public static string NormalizeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return string.Join(' ', name.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>A stable id from a name: <c>dev-</c> and the name's letters and digits in lower case.</summary>
    public static string IdFor(string name)
    {
        var id = new StringBuilder("dev-");
        foreach (var c in NormalizeName(name).ToLower(CultureInfo.InvariantCulture))
        {
            if (char.IsLetterOrDigit(c))
            {
                id.Append(c);
            }
            else if (id[^1] != '-')
            {
                id.Append('-');
            }
        }
        return id.ToString().TrimEnd('-');
    }
}

/// <summary>Where the development sign-in keeps its users when several instances must all know them.</summary>
public interface IDevelopmentUserDirectory
{
    DevelopmentUser? Find(string id);

    void Save(DevelopmentUser user);

    bool Remove(string id);
}
