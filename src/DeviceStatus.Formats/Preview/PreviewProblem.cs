namespace DeviceStatus.Formats.Preview;

/// <summary>Why a file could not be previewed, in words for the person who asked.</summary>
public sealed class PreviewProblemException : Exception
{
    public PreviewProblemException()
    {
    }

    public PreviewProblemException(string message)
        : base(message)
    {
    }

    public PreviewProblemException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the file was fine but the first rows lie beyond the byte cap.</summary>
    public bool CapTooSmall { get; init; }
}

/// <summary>A sync reader asked for bytes that are not fetched yet; the preview fetches them and reads again.</summary>
internal sealed class MissingRangeException(long offset, int count)
    : Exception($"Bytes {offset}..{offset + count} are not fetched yet.")
{
    public long Offset { get; } = offset;

    public int Count { get; } = count;
}
