namespace Portal.Kernel;

/// <summary>The characters a name people give (an export's, a schedule's, a token's) may not hold.</summary>
public static class NameText
{
    /// <summary>
    /// True when <paramref name="name"/> holds a control character (line breaks, tabs, NUL, C1), a Unicode line or
    /// paragraph separator, or a bidirectional override that makes text read differently from what it stores.
    /// </summary>
    public static bool HasControlCharacters(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var c in name)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The message for a name that fails <see cref="HasControlCharacters"/>, naming the field.</summary>
    public static string ControlCharactersProblem(string field) =>
        $"The {field} may not contain line breaks, tabs or other control characters.";
}
