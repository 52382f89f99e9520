using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class ExportNames : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Rows stored before names existed keep NULL: they are shown and mailed under the default name made from their
            // format and range in UTC (ExportRequest.DisplayName), and found by their format and request id.
            migrationBuilder.AddColumn<string>(
                name: "Name",
                table: "ExportRequests",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Name",
                table: "ExportRequests");
        }
    }
}
