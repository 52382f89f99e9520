using System.Diagnostics.CodeAnalysis;

// Mirrors the portal's Components/Shared folder; nothing here is consumed from Visual Basic.
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Scope = "namespace", Target = "~N:Portal.Tests.Components.Shared")]
