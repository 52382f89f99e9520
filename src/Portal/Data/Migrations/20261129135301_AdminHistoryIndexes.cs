using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class AdminHistoryIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_Status_CreatedAt",
                table: "ExportRequests",
                columns: new[] { "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_Status_OwnerName",
                table: "ExportRequests",
                columns: new[] { "Status", "OwnerName" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_Status_CreatedAt",
                table: "ExportRequests");

            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_Status_OwnerName",
                table: "ExportRequests");
        }
    }
}
