using DeviceApi.Simulator;

var builder = WebApplication.CreateBuilder(args);

builder.AddDeviceApiSimulator();

var app = builder.Build();

app.MapDeviceApiSimulator();

app.Run();
