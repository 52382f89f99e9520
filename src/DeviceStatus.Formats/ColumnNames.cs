namespace DeviceStatus.Formats;

/// <summary>The contract's column names, in file order.</summary>
public static class ColumnNames
{
    public const string DeviceId = "device_id";
    public const string Timestamp = "timestamp";
    public const string Status = "status";
    public const string BatteryPct = "battery_pct";
    public const string TemperatureC = "temperature_c";
    public const string SignalDbm = "signal_dbm";
    public const string Firmware = "firmware";

    public static IReadOnlyList<string> All { get; } =
        [DeviceId, Timestamp, Status, BatteryPct, TemperatureC, SignalDbm, Firmware];
}
