using Portal.Notifications.Email;

namespace Portal.Tests.Fakes;

/// <summary>Email delivery figures as a test sets them; records the period asked for.</summary>
public sealed class FakeEmailQueries : IEmailQueries
{
    public EmailHealth Health { get; set; } = new(Sends: false, Sent: 0, Failed: 0, Retrying: 0, Kept: 0);

    public DateTimeOffset? AskedSince { get; private set; }

    public Task<EmailHealth> GetHealthAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        AskedSince = since;
        return Task.FromResult(Health);
    }

    public Task<IReadOnlyList<EmailView>> GetLatestAsync(int max, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<EmailView>>([]);
}
