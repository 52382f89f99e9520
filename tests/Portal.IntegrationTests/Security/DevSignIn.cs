using System.Net;
using System.Text.RegularExpressions;

namespace Portal.IntegrationTests.Security;

/// <summary>
/// Signs a test client in through the portal's real development sign-in: it reads the form's antiforgery token
/// from <c>GET /account/dev-signin</c> and posts <c>name</c>, <c>admin</c>, <c>teams</c> (when given) and <c>returnUrl</c>
/// to <c>POST /account/dev-signin</c>. The client must keep cookies (the factory's clients do).
/// </summary>
public static partial class DevSignIn
{
    /// <param name="teams">What the page's teams field holds (comma-separated team names); not sent when null.</param>
    public static async Task SignInAsync(this HttpClient client, string name, bool admin = false, string returnUrl = "/", string? teams = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var cancellationToken = TestContext.Current.CancellationToken;
        var page = await client.GetStringAsync("/account/dev-signin", cancellationToken);
        var fields = new Dictionary<string, string>
        {
            ["name"] = name,
            ["admin"] = admin ? "true" : "false",
            ["returnUrl"] = returnUrl,
            ["__RequestVerificationToken"] = AntiforgeryToken(page),
        };
        if (teams is not null)
        {
            fields["teams"] = teams;
        }
        using var form = new FormUrlEncodedContent(fields);
        using var response = await client.PostAsync("/account/dev-signin", form, cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Found))
        {
            throw new InvalidOperationException($"The development sign-in answered {(int)response.StatusCode}.");
        }
    }

    /// <summary>The antiforgery token of the first form in <paramref name="html"/>.</summary>
    public static string AntiforgeryToken(string html)
    {
        var match = AntiforgeryInput().Match(html);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException("The page has no antiforgery token.");
    }

    [GeneratedRegex(""""<input[^>]*name="__RequestVerificationToken"[^>]*value="([^"]+)"""")]
    private static partial Regex AntiforgeryInput();
}
