using System.Text.Json;
using Microsoft.Extensions.Options;
using Portal.Security;

namespace Portal.Hosting.ScaleOut;

/// <summary>The development sign-in's users in a Redis hash, so a session begun on one instance is known to every other (Development only).</summary>
public sealed class RedisDevelopmentUserDirectory(RedisConnection redis, IOptions<RedisOptions> options) : IDevelopmentUserDirectory
{
    private readonly StackExchange.Redis.RedisKey key = options.Value.Key("development-users");

    public DevelopmentUser? Find(string id)
    {
        var json = redis.Database.HashGet(key, id);
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<DevelopmentUser>(json.ToString());
    }

    public void Save(DevelopmentUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        redis.Database.HashSet(key, user.Id, JsonSerializer.Serialize(user));
    }

    public bool Remove(string id) => redis.Database.HashDelete(key, id);
}
