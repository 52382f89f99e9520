using System.Globalization;

namespace DeviceStatus.Formats;

/// <summary>
/// RFC 3339 UTC timestamps as the contract writes them: a <c>Z</c> and only as many fractional digits as the
/// value needs (none on whole seconds).
/// </summary>
public static class Rfc3339
{
    /// <summary>Enough for <c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>.</summary>
    public const int MaxLength = 28;

    public static string Format(DateTime utc)
    {
        Span<char> buffer = stackalloc char[MaxLength];
        return new string(buffer[..Format(utc, buffer)]);
    }

    public static string Format(DateTimeOffset value) => Format(value.UtcDateTime);

    /// <summary>Writes into <paramref name="destination"/> (at least <see cref="MaxLength"/> long) and returns the length.</summary>
    public static int Format(DateTime utc, Span<char> destination)
    {
        if (utc.Kind == DateTimeKind.Local)
        {
            utc = utc.ToUniversalTime();
        }

        utc.TryFormat(destination, out var length, "yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture);
        var fraction = (int)(utc.Ticks % TimeSpan.TicksPerSecond);
        if (fraction != 0)
        {
            destination[length++] = '.';
            var digits = 7;
            while (fraction % 10 == 0)
            {
                fraction /= 10;
                digits--;
            }

            for (var i = digits - 1; i >= 0; i--)
            {
                destination[length + i] = (char)('0' + (fraction % 10));
                fraction /= 10;
            }

            length += digits;
        }

        destination[length++] = 'Z';
        return length;
    }
}
