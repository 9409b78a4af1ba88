import { ConflictError, decodeCursor, isUniqueViolation, NotFoundError, Page, PageQueryDto, toPage } from '@itn/core';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, FindOptionsWhere, LessThan, ObjectLiteral, Repository } from 'typeorm';
import { CommodityDto, CreateCommodityDto } from './dto/commodity.dto';
import { CreatePlanetDto, PlanetDto } from './dto/planet.dto';
import { CreateStationDto, ListStationsQueryDto, StationDto } from './dto/station.dto';
import { Commodity } from './entities/commodity.entity';
import { Planet } from './entities/planet.entity';
import { Station } from './entities/station.entity';

async function pageOf<E extends ObjectLiteral & { id: string }, T>(
  repo: Repository<E>,
  query: PageQueryDto,
  map: (e: E) => T,
  where: FindOptionsWhere<E> = {},
): Promise<Page<T>> {
  const after = decodeCursor(query.cursor);
  const rows = await repo.find({
    where: { ...where, ...(after ? { id: LessThan(after) } : {}) } as FindOptionsWhere<E>,
    order: { id: 'DESC' } as never,
    take: query.limit + 1,
  });
  return toPage(rows, query.limit, (e) => e.id, map);
}

@Injectable()
export class CatalogService {
  constructor(
    @InjectRepository(Planet) private readonly planets: Repository<Planet>,
    @InjectRepository(Station) private readonly stations: Repository<Station>,
    @InjectRepository(Commodity) private readonly commodities: Repository<Commodity>,
  ) {}

  listPlanets(query: PageQueryDto): Promise<Page<PlanetDto>> {
    return pageOf(this.planets, query, PlanetDto.from);
  }

  async getPlanet(id: string): Promise<PlanetDto> {
    return PlanetDto.from(await this.findPlanet(id));
  }

  /** Creates a planet; within `tx` when given (the demo seed). */
  async createPlanet(dto: CreatePlanetDto, tx?: EntityManager): Promise<PlanetDto> {
    const planets = tx?.getRepository(Planet) ?? this.planets;
    try {
      const planet = await planets.save(
        planets.create({
          name: dto.name,
          positionX: dto.position.x,
          positionY: dto.position.y,
          positionZ: dto.position.z,
        }),
      );
      return PlanetDto.from(planet);
    } catch (e) {
      if (isUniqueViolation(e, 'uq_planets_name'))
        throw new ConflictError('CATALOG.PLANET_NAME_TAKEN', `A planet named "${dto.name}" already exists`);
      throw e;
    }
  }

  listStations(query: ListStationsQueryDto): Promise<Page<StationDto>> {
    return pageOf(this.stations, query, StationDto.from, query.planetId ? { planetId: query.planetId } : {});
  }

  async getStation(id: string): Promise<StationDto> {
    const station = await this.stations.findOneBy({ id });
    if (!station) throw new NotFoundError('CATALOG.STATION_NOT_FOUND', `Station ${id} does not exist`);
    return StationDto.from(station);
  }

  async createStation(dto: CreateStationDto, tx?: EntityManager): Promise<StationDto> {
    const stations = tx?.getRepository(Station) ?? this.stations;
    const planet = await this.findPlanet(dto.planetId, tx);
    const position = dto.position ?? { x: planet.positionX, y: planet.positionY, z: planet.positionZ };
    try {
      const station = await stations.save(
        stations.create({
          code: dto.code,
          name: dto.name,
          planetId: planet.id,
          positionX: position.x,
          positionY: position.y,
          positionZ: position.z,
          storageCapacity: dto.storageCapacity,
        }),
      );
      return StationDto.from(station);
    } catch (e) {
      if (isUniqueViolation(e, 'uq_stations_code'))
        throw new ConflictError('CATALOG.STATION_CODE_TAKEN', `A station with code ${dto.code} already exists`);
      throw e;
    }
  }

  listCommodities(query: PageQueryDto): Promise<Page<CommodityDto>> {
    return pageOf(this.commodities, query, CommodityDto.from);
  }

  async getCommodity(id: string): Promise<CommodityDto> {
    const commodity = await this.commodities.findOneBy({ id });
    if (!commodity) throw new NotFoundError('CATALOG.COMMODITY_NOT_FOUND', `Commodity ${id} does not exist`);
    return CommodityDto.from(commodity);
  }

  async createCommodity(dto: CreateCommodityDto, tx?: EntityManager): Promise<CommodityDto> {
    const commodities = tx?.getRepository(Commodity) ?? this.commodities;
    try {
      const commodity = await commodities.save(commodities.create({ ...dto }));
      return CommodityDto.from(commodity);
    } catch (e) {
      if (isUniqueViolation(e, 'uq_commodities_sku'))
        throw new ConflictError('CATALOG.COMMODITY_SKU_TAKEN', `A commodity with sku ${dto.sku} already exists`);
      throw e;
    }
  }

  private async findPlanet(id: string, tx?: EntityManager): Promise<Planet> {
    const planet = await (tx?.getRepository(Planet) ?? this.planets).findOneBy({ id });
    if (!planet) throw new NotFoundError('CATALOG.PLANET_NOT_FOUND', `Planet ${id} does not exist`);
    return planet;
  }
}
