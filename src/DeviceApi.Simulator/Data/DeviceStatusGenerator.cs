using System.Globalization;
using DeviceApi.Simulator.Formats;

namespace DeviceApi.Simulator.Data;

/// <summary>
/// The simulated fleet: each row is a pure function of device, minute and seed, so the same request always
/// yields the same rows and any slice of a result can be produced without the rows before it.
/// </summary>
public sealed class DeviceStatusGenerator
{
    private static readonly string[] FirmwareVersions = ["3.2.1", "3.2.0", "3.1.4", "2.9.8"];

    private readonly ulong _seed;
    private readonly string[] _deviceIds;
    private readonly string[] _firmware;
    private readonly int[] _batteryPhase;
    private readonly int[] _baseTemperature;

    public DeviceStatusGenerator(int deviceCount, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(deviceCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(deviceCount, 1_000_000);
        _seed = (ulong)seed;
        _deviceIds = new string[deviceCount];
        _firmware = new string[deviceCount];
        _batteryPhase = new int[deviceCount];
        _baseTemperature = new int[deviceCount];
        for (var device = 0; device < deviceCount; device++)
        {
            var h = Mix(_seed ^ Mix((ulong)device + 0x5bd1e995UL));
            _deviceIds[device] = string.Create(CultureInfo.InvariantCulture, $"dev-{device:D6}");
            _firmware[device] = FirmwareVersions[(int)(h % (ulong)FirmwareVersions.Length)];
            _batteryPhase[device] = (int)((h >> 8) % 1000);
            _baseTemperature[device] = 1500 + (int)((h >> 24) % 1000);
        }
    }

    public int DeviceCount => _deviceIds.Length;

    /// <summary>The rows of <c>[from, to)</c>: one per device per whole minute, by timestamp then device id.</summary>
    public DeviceStatusRows Rows(DateTime from, DateTime to)
    {
        var firstMinute = (from.Ticks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute;
        var endMinute = (to.Ticks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute;
        return new DeviceStatusRows(this, firstMinute, Math.Max(0, endMinute - firstMinute));
    }

    /// <summary>The row of one device (0-based) at one minute (counted in whole minutes since year 1).</summary>
    public DeviceStatusRow Row(int device, long minute)
    {
        var h = Mix(_seed ^ Mix(((ulong)minute << 20) ^ (ulong)device));
        var timestamp = new DateTime(minute * TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        var roll = (int)(h % 1000);
        var status = roll switch
        {
            < 880 => "online",
            < 940 => "degraded",
            < 970 => "maintenance",
            _ => "offline",
        };
        if (status == "offline")
        {
            return new DeviceStatusRow(_deviceIds[device], timestamp, status, null, null, null, _firmware[device]);
        }

        // A battery that drains by 0.1 % a minute and is recharged every 1,000 minutes.
        var battery = (1000 - (int)((minute + _batteryPhase[device]) % 1000)) / 10.0;
        var temperature = (_baseTemperature[device] + (int)((h >> 16) % 400) - 200) / 100.0;
        var signal = -50 - (int)((h >> 32) % 60);
        return new DeviceStatusRow(_deviceIds[device], timestamp, status, battery, temperature, signal, _firmware[device]);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }
}

/// <summary>The rows of one result, addressable by index without materialising them.</summary>
public readonly record struct DeviceStatusRows(DeviceStatusGenerator Generator, long FirstMinute, long MinuteCount)
{
    public long Count => MinuteCount * Generator.DeviceCount;

    public DeviceStatusRow this[long index] =>
        Generator.Row((int)(index % Generator.DeviceCount), FirstMinute + (index / Generator.DeviceCount));

    /// <summary>Fills <paramref name="destination"/> with the rows from <paramref name="start"/> on; returns how many.</summary>
    public int Fill(long start, Span<DeviceStatusRow> destination)
    {
        var count = (int)Math.Min(destination.Length, Math.Max(0, Count - start));
        var devices = Generator.DeviceCount;
        var minute = FirstMinute + (start / devices);
        var device = (int)(start % devices);
        for (var i = 0; i < count; i++)
        {
            destination[i] = Generator.Row(device, minute);
            if (++device == devices)
            {
                device = 0;
                minute++;
            }
        }

        return count;
    }
}
