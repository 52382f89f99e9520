using System.ComponentModel.DataAnnotations;
using MimeKit;

namespace Portal.Notifications.Email;

/// <summary>How the SMTP connection is secured (<c>Notifications:Email:Security</c>).</summary>
public enum EmailSecurity
{
    /// <summary>Plain SMTP, for a relay on a trusted network or a test server.</summary>
    None,
    /// <summary>Connect in the clear, then upgrade with STARTTLS; refuses a server that does not offer it.</summary>
    StartTls,
    /// <summary>TLS from the first byte (SMTPS, usually port 465).</summary>
    SslOnConnect,
}

/// <summary>Email about ended exports, section <c>Notifications:Email</c>. Without <see cref="Host"/> nothing is sent.</summary>
public sealed class EmailOptions : IValidatableObject
{
    public const string SectionName = "Notifications:Email";

    /// <summary>The SMTP server; empty sends no email (in Development the messages are kept on <c>/dev/mail</c>).</summary>
    public string? Host { get; set; }

    /// <summary>The SMTP port; unset means the usual one for <see cref="Security"/> (25, 587 or 465).</summary>
    [Range(1, 65535)]
    public int? Port { get; set; }

    public EmailSecurity Security { get; set; } = EmailSecurity.StartTls;

    /// <summary>Sign in to the SMTP server with these when set.</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary>The sender, e.g. <c>Device Status Exports &lt;exports@example.com&gt;</c>; required with a <see cref="Host"/>.</summary>
    public string? From { get; set; }

    /// <summary>The portal's public address: links in emails point at <c>{PortalUrl}/exports/{id}</c>.</summary>
    public string? PortalUrl { get; set; }

    /// <summary>How often the sender looks for messages to send.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan SendInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Connect, sign-in and send, each.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a claim keeps other instances off a message; longer than a send can take.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The wait after the first failed attempt; it doubles with each further one, up to <see cref="RetryDelayCap"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan RetryDelayCap { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Attempts before a message is given up (and counted as failed).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>True when a mail server is configured: messages are sent, not only kept.</summary>
    public bool Sends => !string.IsNullOrWhiteSpace(Host);

    public int EffectivePort => Port ?? Security switch
    {
        EmailSecurity.None => 25,
        EmailSecurity.SslOnConnect => 465,
        _ => 587,
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(PortalUrl) && !IsHttpUrl(PortalUrl))
        {
            yield return new ValidationResult("Notifications:Email:PortalUrl must be an absolute http or https URL, e.g. https://exports.example.com.", [nameof(PortalUrl)]);
        }
        if (!Sends)
        {
            yield break;
        }
        if (string.IsNullOrWhiteSpace(From) || !MailboxAddress.TryParse(From, out var from) || !from.Address.Contains('@', StringComparison.Ordinal))
        {
            yield return new ValidationResult("Notifications:Email:From must be a sender address, e.g. \"Device Status Exports <exports@example.com>\", when a Host is set.", [nameof(From)]);
        }
        if (string.IsNullOrWhiteSpace(PortalUrl))
        {
            yield return new ValidationResult("Notifications:Email:PortalUrl is required when a Host is set: emails link to the export's page.", [nameof(PortalUrl)]);
        }
        if (string.IsNullOrEmpty(UserName) != string.IsNullOrEmpty(Password))
        {
            yield return new ValidationResult("Notifications:Email:UserName and Password go together: set both or neither.", [nameof(UserName), nameof(Password)]);
        }
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
}
