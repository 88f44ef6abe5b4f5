-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "request_fingerprint" TEXT;
