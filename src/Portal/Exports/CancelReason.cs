namespace Portal.Exports;

/// <summary>
/// The optional reason someone gives when cancelling another user's export, and the timeline entry that carries it
/// with who cancelled (the owner hears both).
/// </summary>
public static class CancelReason
{
    public const int MaxLength = 200;

    private const string ByPrefix = "Cancelled by ";
    private const string ReasonMarker = ". Reason: ";

    /// <summary>What is wrong with <paramref name="reason"/>, as a sentence for the field; null when it can be used.</summary>
    public static string? Problem(string? reason)
    {
        if (reason is null)
        {
            return null;
        }
        if (reason.Any(char.IsControl))
        {
            return "Write the reason on one line, without tabs or other control characters.";
        }
        return reason.Trim().Length > MaxLength ? $"Keep the reason to {MaxLength} characters." : null;
    }

    /// <summary>The reason as stored: trimmed, null when blank.</summary>
    public static string? Normalize(string? reason) => string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();

    /// <summary>The timeline entry of a cancel by someone other than the owner.</summary>
    public static string Detail(string actor, string? reason) =>
        reason is null ? $"{ByPrefix}{actor}." : $"{ByPrefix}{actor}{ReasonMarker}{reason}";

    /// <summary>Whether a cancel's timeline entry says it was made by someone other than the owner.</summary>
    public static bool IsByAnother(string? detail) => detail?.StartsWith(ByPrefix, StringComparison.Ordinal) == true;

    /// <summary>The reason in a timeline entry made by <see cref="Detail"/>; null when none was given.</summary>
    public static string? ReasonOf(string? detail)
    {
        if (!IsByAnother(detail))
        {
            return null;
        }
        var at = detail!.IndexOf(ReasonMarker, StringComparison.Ordinal);
        return at < 0 ? null : detail[(at + ReasonMarker.Length)..];
    }
}
