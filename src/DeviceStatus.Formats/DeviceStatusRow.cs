namespace DeviceStatus.Formats;

/// <summary>
/// One row of a result file, in the contract's column order. <see cref="Timestamp"/> is UTC with microsecond
/// precision; the three measurements are null exactly when <see cref="Status"/> is <c>offline</c>.
/// </summary>
public readonly record struct DeviceStatusRow(
    string DeviceId,
    DateTime Timestamp,
    string Status,
    double? BatteryPct,
    double? TemperatureC,
    int? SignalDbm,
    string Firmware);
