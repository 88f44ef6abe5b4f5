/*
 * The catalogue's typed errors; the HTTP layer maps them to 404 / 409 / 400. The stock errors
 * (InsufficientStockError, UnknownProductError) live with the reservations in ./stock.ts.
 */

export class ProductNotFoundError extends Error {
  constructor(readonly productId: string) {
    super(`inventory item ${productId} not found`);
    this.name = 'ProductNotFoundError';
  }
}

export class DuplicateProductError extends Error {
  constructor(readonly productId: string) {
    super(`inventory item ${productId} already exists`);
    this.name = 'DuplicateProductError';
  }
}

export class StaleVersionError extends Error {
  constructor(
    readonly productId: string,
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      `inventory item ${productId} was modified concurrently (expected version ${expectedVersion}, current ${currentVersion})`,
    );
    this.name = 'StaleVersionError';
  }
}

export class ProductInUseError extends Error {
  constructor(
    readonly productId: string,
    readonly openReservations: number,
  ) {
    super(
      `inventory item ${productId} is referenced by ${openReservations} active or committed reservation(s)`,
    );
    this.name = 'ProductInUseError';
  }
}

/** A change that is valid on its own but not against the item's current values (e.g. min > max). */
export class InvalidItemError extends Error {
  constructor(
    readonly field: string,
    readonly rejectedValue: unknown,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidItemError';
  }
}
