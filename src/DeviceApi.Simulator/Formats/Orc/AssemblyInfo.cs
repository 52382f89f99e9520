using System.Runtime.CompilerServices;

// The encoders are tested on their own, below the file level.
[assembly: InternalsVisibleTo("DeviceApi.Simulator.Tests")]
