using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class GridSortIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_Status_OwnerName",
                table: "ExportRequests");

            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_CreatedAt_Id",
                table: "ExportRequests",
                columns: new[] { "CreatedAt", "Id" },
                filter: "\"DeletedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_Format_Id",
                table: "ExportRequests",
                columns: new[] { "Format", "Id" },
                filter: "\"DeletedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_OwnerName_Id",
                table: "ExportRequests",
                columns: new[] { "OwnerName", "Id" },
                filter: "\"DeletedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_RangeFrom_Id",
                table: "ExportRequests",
                columns: new[] { "RangeFrom", "Id" },
                filter: "\"DeletedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_Status_Id",
                table: "ExportRequests",
                columns: new[] { "Status", "Id" },
                filter: "\"DeletedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_Status_OwnerName_Id",
                table: "ExportRequests",
                columns: new[] { "Status", "OwnerName", "Id" },
                filter: "\"DeletedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_UpdatedAt_Id",
                table: "ExportRequests",
                columns: new[] { "UpdatedAt", "Id" },
                filter: "\"DeletedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_CreatedAt_Id",
                table: "ExportRequests");

            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_Format_Id",
                table: "ExportRequests");

            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_OwnerName_Id",
                table: "ExportRequests");

            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_RangeFrom_Id",
                table: "ExportRequests");

            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_Status_Id",
                table: "ExportRequests");

            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_Status_OwnerName_Id",
                table: "ExportRequests");

            migrationBuilder.DropIndex(
                name: "IX_ExportRequests_UpdatedAt_Id",
                table: "ExportRequests");

            migrationBuilder.CreateIndex(
                name: "IX_ExportRequests_Status_OwnerName",
                table: "ExportRequests",
                columns: new[] { "Status", "OwnerName" });
        }
    }
}
