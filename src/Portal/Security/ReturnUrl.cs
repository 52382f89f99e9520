namespace Portal.Security;

/// <summary>Where to send the browser after signing in or out: only back into the portal itself.</summary>
public static class ReturnUrl
{
    /// <summary>
    /// <paramref name="url"/> when it is a path of this site (<c>/exports/42?tab=files</c>), otherwise <c>/</c>.
    /// Refuses absolute URLs, scheme-relative ones (<c>//host</c>, <c>/\host</c>) and anything with control
    /// characters or whitespace, which browsers strip before they resolve a location.
    /// </summary>
    public static string Sanitize(string? url)
    {
        if (string.IsNullOrEmpty(url) || url.Length > 2048 || url[0] != '/')
        {
            return "/";
        }
        if (url.Length > 1 && (url[1] == '/' || url[1] == '\\'))
        {
            return "/";
        }
        foreach (var c in url)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c == '\\')
            {
                return "/";
            }
        }
        return Uri.TryCreate(url, UriKind.Relative, out _) ? url : "/";
    }
}
